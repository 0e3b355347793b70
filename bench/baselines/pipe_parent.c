// The baseline parent for the plugin benchmarks: drives W warm workers over the plugin
// protocol (hello, welcome, invoke, result) with D invocations in flight per worker, using
// poll(2) and nothing else. What a plugin host could at best achieve on this machine.
//
//   pipe_parent ITEMS WORKERS DEPTH PROGRAM [ARGUMENT...]
//
// With PIPE_PARENT_BATCH=N in the environment each invocation carries N items shaped like the
// Distributed Map benchmark's ({"Items": [{"n", "user", "amount"}, ...]}), and ITEMS counts
// items, not invocations. Prints one line: items, seconds, items per second.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    int to, from;
    char buffer[1 << 16];
    size_t used;
    long in_flight;
    int ready;
} worker;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void write_all(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written <= 0) { perror("write"); exit(1); }
        text += written;
        length -= (size_t)written;
    }
}

static const char *WELCOME =
    "{\"type\":\"welcome\",\"protocol\":1,\"function\":{\"name\":\"bench\",\"version\":\"$LATEST\",\"arn\":\"arn:aws:lambda:us-east-1:123456789012:function:bench\",\"memoryLimitInMB\":128,\"timeoutMs\":3000},\"maxLineBytes\":6291456}\n";

static long batch = 0;

static void send_invoke(worker *each, long number) {
    static char line[1 << 16];
    int length = 0;
    if (batch > 0) {
        length = snprintf(line, sizeof line, "{\"type\":\"invoke\",\"id\":\"%ld\",\"payload\":{\"Items\":[", number);
        for (long index = 0; index < batch && length < (int)sizeof line - 256; index++) {
            long n = number * batch + index;
            length += snprintf(line + length, sizeof line - (size_t)length, "%s{\"n\":%ld,\"user\":\"user%ld\",\"amount\":%ld.%02ld}",
                index ? "," : "", n, n % 1000, n % 1000, n % 100);
        }
        length += snprintf(line + length, sizeof line - (size_t)length, "]},\"context\":{\"requestId\":\"00000000-0000-4000-8000-%012ld\",\"functionName\":\"bench\",\"functionVersion\":\"$LATEST\",\"invokedFunctionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:bench\",\"memoryLimitInMB\":128,\"timeoutMs\":3000,\"attempt\":0}}\n", number);
    } else {
        length = snprintf(line, sizeof line,
            "{\"type\":\"invoke\",\"id\":\"%ld\",\"payload\":{\"n\":%ld},\"context\":{\"requestId\":\"00000000-0000-4000-8000-%012ld\",\"functionName\":\"bench\",\"functionVersion\":\"$LATEST\",\"invokedFunctionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:bench\",\"memoryLimitInMB\":128,\"timeoutMs\":3000,\"attempt\":0}}\n",
            number, number, number);
    }
    write_all(each->to, line, (size_t)length);
    each->in_flight++;
}

int main(int count, char **arguments) {
    if (count < 5) {
        fprintf(stderr, "usage: pipe_parent ITEMS WORKERS DEPTH PROGRAM [ARGUMENT...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *batching = getenv("PIPE_PARENT_BATCH");
    batch = batching ? atol(batching) : 0;
    // Invocations to make; items counts what they carry.
    long items = batch > 0 ? (atol(arguments[1]) + batch - 1) / batch : atol(arguments[1]);
    int workers = atoi(arguments[2]);
    long depth = atol(arguments[3]);
    worker *pool = calloc((size_t)workers, sizeof(worker));
    struct pollfd *polls = calloc((size_t)workers, sizeof(struct pollfd));
    for (int index = 0; index < workers; index++) {
        int down[2], up[2];
        // Close-on-exec: a later worker must not inherit an earlier one's pipe ends.
        if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC)) { perror("pipe"); return 1; }
        pid_t pid = fork();
        if (pid == 0) {
            dup2(down[0], 0);
            dup2(up[1], 1);
            close(down[0]); close(down[1]); close(up[0]); close(up[1]);
            execv(arguments[4], &arguments[4]);
            perror("execv");
            _exit(127);
        }
        close(down[0]);
        close(up[1]);
        pool[index].pid = pid;
        pool[index].to = down[1];
        pool[index].from = up[0];
        polls[index].fd = up[0];
        polls[index].events = POLLIN;
    }
    long sent = 0, done = 0;
    double start = 0;
    int ready = 0;
    while (done < items) {
        if (poll(polls, (nfds_t)workers, -1) < 0) { perror("poll"); return 1; }
        for (int index = 0; index < workers; index++) {
            if (!(polls[index].revents & (POLLIN | POLLHUP))) continue;
            worker *each = &pool[index];
            ssize_t got = read(each->from, each->buffer + each->used, sizeof each->buffer - each->used);
            if (got <= 0) { fprintf(stderr, "worker %d ended\n", index); return 1; }
            each->used += (size_t)got;
            char *cursor = each->buffer, *end = each->buffer + each->used, *newline;
            while ((newline = memchr(cursor, '\n', (size_t)(end - cursor)))) {
                if (!each->ready) {
                    // The hello: answer welcome; start the clock when every worker is warm.
                    each->ready = 1;
                    write_all(each->to, WELCOME, strlen(WELCOME));
                    if (++ready == workers) {
                        start = now();
                        for (int other = 0; other < workers; other++)
                            while (pool[other].in_flight < depth && sent < items) send_invoke(&pool[other], ++sent);
                    }
                } else {
                    each->in_flight--;
                    done++;
                    if (sent < items) send_invoke(each, ++sent);
                }
                cursor = newline + 1;
            }
            each->used = (size_t)(end - cursor);
            memmove(each->buffer, cursor, each->used);
        }
    }
    double seconds = now() - start;
    for (int index = 0; index < workers; index++) {
        close(pool[index].to);
        waitpid(pool[index].pid, NULL, 0);
    }
    long carried = batch > 0 ? items * batch : items;
    printf("%ld %.6f %.1f\n", carried, seconds, carried / seconds);
    return 0;
}
