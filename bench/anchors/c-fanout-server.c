/* The ceiling for bench/perf.mjs: the least a WebSocket broadcast server
 * can do. One thread, epoll (edge-triggered), non-blocking sockets; the
 * upgrade handshake (SHA-1 + base64 from OpenSSL's libcrypto); masked
 * client frames unmasked in place; every text frame forwarded to every
 * other connection. Frames read in one read() are framed once into one
 * batch, and each other connection gets that batch with one write() (its
 * backlog, if any, is appended to and written when the socket drains).
 * No rooms, no JSON, no acknowledgements: what is left is the syscalls.
 *
 *   bench-c-fanout-server [port]      prints "listening on PORT" when ready
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 65536                   /* largest client frame accepted + header */
#define MAX_BACKLOG (64u << 20)        /* a reader this far behind is dropped */

enum { FREE = 0, HANDSHAKE = 1, OPEN = 2 };

struct conn {
    int state;
    int pos; /* index in open_fds while OPEN */
    char *in;
    size_t in_len;
    char *out; /* bytes not yet accepted by the socket */
    size_t out_len, out_cap, out_off;
};

static struct conn *conns;   /* indexed by fd */
static int max_fds;
static int *open_fds;        /* the OPEN connections, for broadcasting */
static int n_open;
static int ep;
static char *batch;          /* server frames built from one read */
static size_t batch_len, batch_cap;

static void drop(int fd) {
    struct conn *c = &conns[fd];
    if (c->state == OPEN) {
        int last = open_fds[--n_open];
        open_fds[c->pos] = last;
        conns[last].pos = c->pos;
    }
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    close(fd);
}

/* Appends to the connection's backlog; 0 when it grew too large. */
static int queue(struct conn *c, const char *p, size_t n) {
    if (c->out_off > 0 && c->out_off == c->out_len) c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        if (c->out_off > 0) {
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        if (c->out_len + n > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : 65536;
            while (cap < c->out_len + n) cap *= 2;
            if (cap > MAX_BACKLOG) return 0;
            char *bigger = realloc(c->out, cap);
            if (!bigger) return 0;
            c->out = bigger;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 1;
}

/* Writes what is pending; 0 when the connection is gone. */
static int flush_out(int fd) {
    struct conn *c = &conns[fd];
    while (c->out_off < c->out_len) {
        ssize_t w = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        } else {
            return 0;
        }
    }
    c->out_off = c->out_len = 0;
    return 1;
}

/* Sends bytes to one connection: straight to the socket when nothing is
 * queued before them, else behind the queue. 0 when it must be dropped. */
static int send_to(int fd, const char *p, size_t n) {
    struct conn *c = &conns[fd];
    if (c->out_off == c->out_len) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w == (ssize_t)n) return 1;
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return 0;
            w = 0;
        }
        p += w;
        n -= (size_t)w;
    }
    return queue(c, p, n);
}

static size_t frame_header(unsigned char *h, int opcode, size_t len) {
    h[0] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        h[1] = (unsigned char)len;
        return 2;
    }
    if (len < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

static void batch_add(int opcode, const char *payload, size_t len) {
    if (batch_len + len + 10 > batch_cap) {
        while (batch_len + len + 10 > batch_cap) batch_cap *= 2;
        batch = realloc(batch, batch_cap);
        if (!batch) abort();
    }
    batch_len += frame_header((unsigned char *)batch + batch_len, opcode, len);
    memcpy(batch + batch_len, payload, len);
    batch_len += len;
}

static void broadcast(int from) {
    if (batch_len == 0) return;
    for (int i = 0; i < n_open;) {
        int fd = open_fds[i];
        if (fd != from && !send_to(fd, batch, batch_len)) {
            drop(fd); /* moves the last one into slot i */
            continue;
        }
        i++;
    }
    batch_len = 0;
}

static int handshake(int fd) {
    struct conn *c = &conns[fd];
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return c->in_len < 8192;
    size_t head = (size_t)(end - c->in) + 4;
    char *key = NULL;
    for (char *line = c->in; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Sec-WebSocket-Key:", 18) == 0) {
            key = line + 18;
            while (*key == ' ') key++;
            break;
        }
    }
    if (!key) return 0;
    size_t key_len = strcspn(key, "\r\n ");
    if (key_len > 64) return 0;
    char joined[128];
    memcpy(joined, key, key_len);
    memcpy(joined + key_len, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((unsigned char *)joined, key_len + 36, digest);
    char accept[32];
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    if (!send_to(fd, resp, (size_t)n)) return 0;
    memmove(c->in, c->in + head, c->in_len - head);
    c->in_len -= head;
    c->state = OPEN;
    c->pos = n_open;
    open_fds[n_open++] = fd;
    return 1;
}

/* Parses the complete client frames in the input; 0 to drop the connection. */
static int frames(int fd) {
    struct conn *c = &conns[fd];
    size_t off = 0;
    while (c->in_len - off >= 2) {
        unsigned char *b = (unsigned char *)c->in + off;
        size_t avail = c->in_len - off;
        int fin = b[0] & 0x80, opcode = b[0] & 0x0F;
        if (!(b[1] & 0x80) || (b[0] & 0x70)) return 0; /* clients must mask; no extensions */
        uint64_t len = b[1] & 0x7F;
        size_t hdr = 2;
        if (len == 126) {
            if (avail < 4) break;
            len = ((uint64_t)b[2] << 8) | b[3];
            hdr = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = (len << 8) | b[2 + i];
            hdr = 10;
        }
        if (len > IN_CAP - 14) return 0;
        if (avail < hdr + 4 + len) break;
        unsigned char *mask = b + hdr, *p = b + hdr + 4;
        for (size_t i = 0; i < len; i++) p[i] ^= mask[i & 3];
        off += hdr + 4 + (size_t)len;
        if (!fin) return 0; /* no fragmented messages here */
        switch (opcode) {
        case 0x1:
        case 0x2:
            batch_add(opcode, (char *)p, (size_t)len);
            break;
        case 0x8: {
            unsigned char h[10];
            size_t hl = frame_header(h, 0x8, len >= 2 ? 2 : 0);
            send_to(fd, (char *)h, hl);
            if (len >= 2) send_to(fd, (char *)p, 2);
            return 0;
        }
        case 0x9: {
            unsigned char h[10];
            size_t hl = frame_header(h, 0xA, (size_t)len);
            if (!send_to(fd, (char *)h, hl) || !send_to(fd, (char *)p, (size_t)len)) return 0;
            break;
        }
        default:
            break;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 1;
}

static void on_readable(int fd) {
    struct conn *c = &conns[fd];
    for (;;) {
        ssize_t r = read(fd, c->in + c->in_len, IN_CAP - c->in_len);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            broadcast(fd);
            drop(fd);
            return;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        size_t room = IN_CAP - c->in_len;
        c->in_len += (size_t)r;
        int ok = c->state == HANDSHAKE ? handshake(fd) : 1;
        if (ok && c->state == OPEN) ok = frames(fd);
        broadcast(fd);
        if (!ok) {
            flush_out(fd);
            drop(fd);
            return;
        }
        if ((size_t)r < room) break; /* drained: edge-triggered epoll reports new bytes */
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    max_fds = (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    open_fds = calloc((size_t)max_fds, sizeof *open_fds);
    batch_cap = 1 << 20;
    batch = malloc(batch_cap);
    if (!conns || !open_fds || !batch) return 1;

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 4096) != 0) {
        perror("listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &alen);
    printf("listening on %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event events[1024];
    for (;;) {
        int n = epoll_wait(ep, events, 1024, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    if (cfd >= max_fds) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[cfd].state = HANDSHAKE;
                    conns[cfd].in = malloc(IN_CAP);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            if (conns[fd].state == FREE) continue;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(fd);
            if (conns[fd].state != FREE && (events[i].events & EPOLLOUT) && !flush_out(fd)) drop(fd);
        }
    }
}
