/**
 * Smallest and largest of a list by a loop. `Math.max(...values)` passes every value as a call
 * argument and overflows the stack somewhere past 100k values (a long window sampled from 8 GPUs),
 * so nothing in llem spreads a list whose length grows with the data.
 */

/** The largest value; -Infinity for an empty list, as Math.max() gives. */
export function maxOf(values: ArrayLike<number>): number {
  let max = -Infinity
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i]
  return max
}

/** The smallest value; Infinity for an empty list, as Math.min() gives. */
export function minOf(values: ArrayLike<number>): number {
  let min = Infinity
  for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i]
  return min
}
