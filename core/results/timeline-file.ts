/**
 * Where an experiment process's power timeline goes in the run directory, and the warning its result
 * carries when the file could not be written (the worker writes it; the main process names it among
 * the files a run could not write).
 */
import path from 'node:path'

export const timelineFile = (experimentId: string, processIndex: number): string => path.join('timeseries', `${experimentId}${processIndex ? `.process_${processIndex}` : ''}.csv`)

export const TIMELINE_NOT_WRITTEN = 'the power timeline file could not be written'
