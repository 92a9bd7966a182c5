/*
 * A fast OpenAI-style SSE peer for llem's client benchmark (sse-client.perf.ts compiles it with
 * `cc -O2` into the perf cache). One thread, epoll, so that pinned to one core it can outrun a client
 * pinned to the other; the Node fixture in test/fixtures could not.
 *
 *   sse-peer serve GAP_US [BATCH [FIRST_US]]   streams /v1/completions on 127.0.0.1 (port on stdout)
 *   sse-peer read PORT STREAMS TOKENS [lag]   a raw-socket reader: the server's capacity on its own
 *                                             (lag: and each chunk's send-to-read lag)
 *
 * serve: each request streams max_tokens chunks (vLLM-shaped, chunked transfer encoding, one token
 * each, the server's CLOCK_MONOTONIC send time in ms as "sent_at"), then a usage chunk and [DONE].
 * GAP_US 0: as fast as the socket takes them, up to BATCH chunks per write (each its own chunked
 * frame and stamp); else one chunk per write every GAP_US per stream, the first one FIRST_US (default
 * GAP_US) after the request, as after a prefill, on a schedule that does not drift. Send times of requests carrying x-stream-id are kept and served as JSON by GET /__sendtimes
 * (then forgotten), so that the client's lag and ITL can be set against the server's own gaps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
#define OUTCAP (1 << 16)
#define MAXBATCH 128

typedef struct {
  int fd, streaming, total, sent, finished, inlen, outlen, outoff, out_watched;
  int64_t due;
  char id[64];
  char in[16384];
  char *out;
  double *times;
} conn;

typedef struct record {
  char id[64];
  int n;
  double *times;
  struct record *next;
} record;

static conn *conns[MAXFD];
static record *records;
static int ep, tfd, maxfd;
static int64_t gap_ns, first_ns;
static int batch;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void watch(conn *c, int out) {
  if (c->out_watched == out) return;
  c->out_watched = out;
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.fd = c->fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void drop(conn *c) {
  if (c->times && c->id[0]) {
    record *r = malloc(sizeof *r);
    memcpy(r->id, c->id, sizeof r->id);
    r->n = c->sent, r->times = c->times, r->next = records, records = r;
  } else free(c->times);
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->out);
  free(c);
}

/* appends one chunked-encoding frame holding `data: <json>\n\n` */
static void frame(conn *c, const char *json, int len) {
  char *p = c->out + c->outlen;
  static const char hexd[] = "0123456789abcdef";
  int n = len + 8, digits = n >= 256 ? 3 : n >= 16 ? 2 : 1; /* chunks here stay under 4 KiB */
  for (int i = digits - 1; i >= 0; i--, n >>= 4) p[i] = hexd[n & 15];
  p += digits;
  memcpy(p, "\r\ndata: ", 8);
  memcpy(p + 8, json, len);
  memcpy(p + 8 + len, "\n\n\r\n", 4);
  c->outlen = p + 12 + len - c->out;
}

/* one token's chunk: formatted by hand, as sprintf's %f was most of the peer's time per chunk */
static void token(conn *c) {
  static const char mid[] = ",\"stop_reason\":null}],\"usage\":null,\"sent_at\":";
  char json[512], digits[24];
  int64_t now = mono_ns(), us = now / 1000;
  int last = c->sent + 1 == c->total;
  int len = sprintf(json, "{\"id\":\"cmpl-%d\",\"object\":\"text_completion\",\"created\":1700000000,\"model\":\"llem-perf\","
      "\"choices\":[{\"index\":0,\"text\":\" tok\",\"logprobs\":null,\"finish_reason\":", c->fd);
  len += sprintf(json + len, "%s", last ? "\"length\"" : "null");
  memcpy(json + len, mid, sizeof mid - 1);
  len += sizeof mid - 1;
  /* sent_at: CLOCK_MONOTONIC in ms, to the microsecond */
  int n = 0;
  for (int64_t v = us / 1000; n == 0 || v; v /= 10) digits[n++] = '0' + v % 10;
  while (n) json[len++] = digits[--n];
  json[len++] = '.';
  for (int i = 2, f = us % 1000; i >= 0; i--, f /= 10) json[len + i] = '0' + f % 10;
  len += 3;
  json[len++] = '}';
  if (c->times) c->times[c->sent] = us / 1e3;
  frame(c, json, len);
  if (++c->sent == c->total) {
    len = sprintf(json, "{\"id\":\"cmpl-%d\",\"object\":\"text_completion\",\"created\":1700000000,\"model\":\"llem-perf\",\"choices\":[],"
        "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":%d,\"total_tokens\":%d}}", c->fd, c->total, c->total + 1);
    frame(c, json, len);
    frame(c, "[DONE]", 6);
    memcpy(c->out + c->outlen, "0\r\n\r\n", 5);
    c->outlen += 5;
    c->finished = 1;
  }
}

/* writes what is pending; returns 0 once the response is complete and the connection dropped */
static int flush(conn *c) {
  while (c->outoff < c->outlen) {
    ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
    if (n < 0) {
      if (errno == EAGAIN) return watch(c, 1), 1;
      return drop(c), 0;
    }
    c->outoff += n;
  }
  c->outoff = c->outlen = 0;
  if (c->finished) return drop(c), 0;
  if (!gap_ns) watch(c, 1); /* fast mode: more as soon as the socket takes it */
  else watch(c, 0);
  return 1;
}

/* every byte, or -1: write() may take less than asked */
static ssize_t write_all(int fd, const char *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    done += (size_t)w;
  }
  return (ssize_t)done;
}

static void send_times(conn *c) {
  size_t cap = 1 << 16, len = 0;
  char *body = malloc(cap);
  len += sprintf(body, "{");
  for (record *r = records; r;) {
    if (len + (size_t)r->n * 24 + 128 > cap) body = realloc(body, cap = cap * 2 + (size_t)r->n * 24 + 128);
    len += sprintf(body + len, "%s\"%s\":[", len > 1 ? "," : "", r->id);
    for (int i = 0; i < r->n; i++) len += sprintf(body + len, "%s%.4f", i ? "," : "", r->times[i]);
    len += sprintf(body + len, "]");
    record *next = r->next;
    free(r->times), free(r), r = next;
  }
  records = NULL;
  len += sprintf(body + len, "}");
  char head[160];
  int hl = sprintf(head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
  /* the answer can be megabytes: one write on a non-blocking socket sends what fits in its buffer and
     cuts the rest (a Content-Length the client never sees reached), so this last answer on the
     connection is written blocking, to the end */
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
  if (write_all(c->fd, head, (size_t)hl) < 0 || write_all(c->fd, body, len) < 0) perror("sse-peer: /__sendtimes");
  free(body);
  drop(c);
}

/* a complete request: start its stream (or answer /__sendtimes) */
static void dispatch(conn *c, char *body) {
  if (!strncmp(c->in, "GET /__sendtimes", 16)) return send_times(c);
  char *mt = strstr(body, "\"max_tokens\"");
  c->total = mt ? atoi(strchr(mt, ':') + 1) : 16;
  if (c->total < 1) c->total = 1;
  char *id = strcasestr(c->in, "\r\nx-stream-id:");
  if (id) {
    id += 15;
    while (*id == ' ') id++;
    int n = strcspn(id, "\r\n");
    snprintf(c->id, sizeof c->id, "%.*s", n < 63 ? n : 63, id);
    c->times = malloc(sizeof(double) * c->total);
  }
  c->streaming = 1;
  c->outlen = sprintf(c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  /* the head at once; at a cadence, the first chunk after the "prefill" */
  c->due = mono_ns() + first_ns;
  flush(c);
}

static void readable(conn *c) {
  char scratch[4096];
  /* once streaming, nothing more is expected from the client: read only to see it close */
  ssize_t n = c->streaming ? read(c->fd, scratch, sizeof scratch) : read(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    return drop(c);
  }
  if (c->streaming) return;
  c->inlen += n;
  c->in[c->inlen] = 0;
  char *end = strstr(c->in, "\r\n\r\n");
  if (!end) return;
  char *cl = strcasestr(c->in, "\r\ncontent-length:");
  int want = cl && cl < end ? atoi(cl + 17) : 0;
  if (c->inlen - (end + 4 - c->in) >= want) dispatch(c, end + 4);
}

static void arm_timer(void) {
  int64_t next = INT64_MAX;
  for (int fd = 0; fd <= maxfd; fd++)
    if (conns[fd] && conns[fd]->streaming && !conns[fd]->finished && conns[fd]->due < next) next = conns[fd]->due;
  struct itimerspec its = {0};
  if (next != INT64_MAX) its.it_value = (struct timespec){next / 1000000000, next % 1000000000};
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int serve(int64_t gap_us, int64_t first_us) {
  gap_ns = gap_us * 1000;
  first_ns = (first_us >= 0 ? first_us : gap_us) * 1000;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096) || getsockname(ls, (struct sockaddr *)&a, &al)) return perror("sse-peer"), 1;
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  ep = epoll_create1(0);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  ev.data.fd = tfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  struct epoll_event evs[1024];
  for (;;) {
    int n = epoll_wait(ep, evs, 1024, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int cfd;
        while ((cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (cfd >= MAXFD) { close(cfd); continue; }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn *c = calloc(1, sizeof *c);
          c->fd = cfd, c->out = malloc(OUTCAP), conns[cfd] = c;
          if (cfd > maxfd) maxfd = cfd;
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
      } else if (fd == tfd) {
        uint64_t x;
        if (read(tfd, &x, sizeof x) < 0) continue;
      } else if (conns[fd]) {
        conn *c = conns[fd];
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(c);
        if (!(c = conns[fd]) || !(evs[i].events & EPOLLOUT)) continue;
        if (c->outoff < c->outlen) flush(c);
        else if (!gap_ns && c->streaming) {
          for (int k = 0; k < batch && !c->finished; k++) token(c);
          flush(c);
        }
      }
    }
    if (!gap_ns) continue;
    /* cadence: every stream that is due gets its chunk now, then the timer is set for the next */
    int64_t now = mono_ns();
    for (int fd = 0; fd <= maxfd; fd++) {
      conn *c = conns[fd];
      if (!c || !c->streaming || c->finished || c->due > now || c->outoff < c->outlen) continue;
      token(c);
      c->due += gap_ns;
      flush(c);
    }
    arm_timer();
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/*
 * The server on its own: STREAMS raw connections, counting SSE events (each ends in a blank line).
 * With `lag`, also each chunk's send-to-read lag (the floor a client on this machine can reach).
 */
static int reader(int port, int streams, int tokens, int lag) {
  static char buf[1 << 18];
  static double lags[1 << 20];
  long nlag = 0;
  char req[256];
  int rl = sprintf(req, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"max_tokens\":%d}",
      (int)snprintf(NULL, 0, "{\"max_tokens\":%d}", tokens), tokens);
  int ep = epoll_create1(0), open = 0;
  char *lastc = calloc(MAXFD, 1);
  long events = 0;
  int64_t t0 = mono_ns();
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < streams; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) || write(fd, req, rl) != rl) return perror("sse-peer read"), 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    open++;
  }
  struct epoll_event evs[1024];
  while (open) {
    int n = epoll_wait(ep, evs, 1024, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) { close(fd), open--; continue; }
      double now = mono_ns() / 1e6;
      for (char *p = buf, *e = buf + r; lag && (p = memmem(p, e - p, "\"sent_at\":", 10)) && nlag < (1 << 20); p += 10)
        if (memchr(p, '}', e - p)) lags[nlag++] = now - strtod(p + 10, NULL);
      for (char *p = buf, *e = buf + r; (p = memchr(p, '\n', e - p)); p++)
        if ((p > buf ? p[-1] : lastc[fd]) == '\n') events++;
      lastc[fd] = buf[r - 1];
    }
  }
  double s = (mono_ns() - t0) / 1e9;
  /* the usage chunk and [DONE] are events too, but not tokens */
  events -= 2L * streams;
  printf("{\"streams\":%d,\"chunks\":%ld,\"seconds\":%.6f,\"chunks_per_sec\":%.0f", streams, events, s, events / s);
  if (nlag) {
    qsort(lags, nlag, sizeof *lags, by_value);
    printf(",\"lag_p50_ms\":%.4f,\"lag_p99_ms\":%.4f,\"lag_max_ms\":%.4f", lags[nlag / 2], lags[(long)(nlag * 0.99)], lags[nlag - 1]);
  }
  printf("}\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "serve")) return batch = argc > 3 ? atoi(argv[3]) : 16, batch = batch < 1 ? 1 : batch > MAXBATCH ? MAXBATCH : batch, serve(atoll(argv[2]), argc > 4 ? atoll(argv[4]) : -1);
  if (argc >= 5 && !strcmp(argv[1], "read")) return reader(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argc > 5 && !strcmp(argv[5], "lag"));
  fprintf(stderr, "usage: sse-peer serve GAP_US [BATCH [FIRST_US]] | sse-peer read PORT STREAMS TOKENS [lag]\n");
  return 2;
}
