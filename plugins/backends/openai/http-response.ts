/**
 * The response to one plain-HTTP request on a connection of its own (sse-stream.ts sends
 * `connection: close`): status line and headers, then the body framed by chunked transfer encoding,
 * content-length or the server's close. It works on the bytes of each read in place and hands body
 * segments on as views of them, so a read of many chunked frames costs no copies and no allocations.
 */

/** The server broke HTTP/1.1 (the caller reports it as a failed connection). */
export class HttpProtocolError extends Error {}

// where the chunked-encoding reader is: size line, its extension, data, CRLF after data, trailers
const SIZE = 0
const EXTENSION = 1
const DATA = 2
const DATA_END = 3
const TRAILER = 4
const MAX_HEAD = 64 * 1024

export class HttpResponse {
  /** 0 until the (final, non-1xx) status line has arrived */
  status = 0
  statusText = ''
  /** the whole body has arrived */
  ended = false
  /** the body runs until the server closes the connection */
  untilClose = false
  private head: Buffer | null = null
  private chunked = false
  /** bytes left in the current chunk, or in the body with content-length */
  private remaining = 0
  private state = SIZE
  private digits = 0
  private lineBytes = 0

  /** Reads bytes [0, n) of `buf`; body bytes go to `onSegment` (valid only during the call). */
  push(buf: Buffer, n: number, onSegment: (buf: Buffer, start: number, end: number) => void): void {
    let p = 0
    while (this.status === 0) {
      // the head is rarely split across reads: only then is anything copied
      const all = this.head ? Buffer.concat([this.head, buf.subarray(p, n)]) : buf.subarray(p, n)
      const cut = all.indexOf('\r\n\r\n')
      if (cut < 0) {
        if (all.length > MAX_HEAD) throw new HttpProtocolError('the response head is over 64 KiB')
        this.head = Buffer.from(all)
        return
      }
      this.head = null
      this.readHead(all.toString('latin1', 0, cut))
      buf = all
      p = cut + 4
      n = all.length
    }
    if (this.ended || p >= n) return
    if (this.untilClose) return onSegment(buf, p, n)
    if (!this.chunked) {
      const take = Math.min(this.remaining, n - p)
      onSegment(buf, p, p + take)
      this.remaining -= take
      this.ended = this.remaining === 0
      return
    }
    while (p < n && !this.ended) {
      if (this.state === DATA) {
        const take = Math.min(this.remaining, n - p)
        onSegment(buf, p, p + take)
        p += take
        if ((this.remaining -= take) === 0) this.state = DATA_END
        continue
      }
      const c = buf[p++]
      if (this.state === SIZE) {
        const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
        if (v >= 0 && this.digits < 12) {
          this.remaining = this.remaining * 16 + v
          this.digits++
        } else if ((c === 10 || c === 59) && this.digits > 0) {
          this.digits = 0
          if (c === 59) this.state = EXTENSION
          else this.state = this.remaining === 0 ? TRAILER : DATA
        } else if (c !== 13 && c !== 32 && c !== 9) throw new HttpProtocolError('invalid chunk size in the response')
      } else if (this.state === EXTENSION) {
        if (c === 10) this.state = this.remaining === 0 ? TRAILER : DATA
      } else if (this.state === DATA_END) {
        if (c === 10) this.state = SIZE
        else if (c !== 13) throw new HttpProtocolError('a chunk of the response overran its size')
      } else if (c === 10) {
        // trailer fields, up to an empty line that ends the body
        if (this.lineBytes === 0) this.ended = true
        this.lineBytes = 0
      } else if (c !== 13) this.lineBytes++
    }
  }

  private readHead(text: string): void {
    const lines = text.split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0])
    if (!m) throw new HttpProtocolError(`not an HTTP/1.1 response: ${lines[0].slice(0, 80)}`)
    const status = Number(m[1])
    // an interim response (100 Continue, 103 Early Hints): the final one follows
    if (status < 200) return
    let transfer = ''
    let length: string | null = null
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':')
      if (colon <= 0) throw new HttpProtocolError(`invalid header line in the response: ${lines[i].slice(0, 80)}`)
      const name = lines[i].slice(0, colon).trim().toLowerCase()
      const value = lines[i].slice(colon + 1).trim()
      if (name === 'transfer-encoding') transfer = transfer ? `${transfer}, ${value}` : value
      else if (name === 'content-length') {
        if (!/^\d+$/.test(value) || (length !== null && length !== value)) throw new HttpProtocolError('invalid content-length in the response')
        length = value
      }
    }
    this.status = status
    this.statusText = m[2] ?? ''
    this.chunked = /(^|,)\s*chunked$/i.test(transfer)
    if (status === 204 || status === 304) this.ended = true
    else if (this.chunked) return
    else if (transfer === '' && length !== null) {
      this.remaining = Number(length)
      this.ended = this.remaining === 0
    } else this.untilClose = true
  }
}
