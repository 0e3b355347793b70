// The plugin host's I/O core on libuv: see include/CPluginLoop.h for the contract.
#define _GNU_SOURCE  // pipe2, SCHED_BATCH, pthread_setname_np
#include "CPluginLoop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

enum command_kind { COMMAND_SPAWN, COMMAND_SEND, COMMAND_CLOSE_STDIN, COMMAND_KILL, COMMAND_STOP };

typedef struct command {
    enum command_kind kind;
    uint64_t worker;
    char **argv;
    char **env;
    char *cwd;
    uint8_t *bytes;
    size_t length;
    int signal;
    int counted;             // a send counted in its worker's `unwritten`
    struct command *next;
} command;

typedef struct growable {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
} growable;

typedef struct worker {
    uint64_t id;
    sm_loop *loop;
    uv_process_t process;
    uv_pipe_t input, output, errors;
    growable line;
    growable log_line;
    int discarding;          // an oversize stdout line is being skipped up to its newline
    int input_open, output_open, errors_open;
    int open_handles;        // handles not yet through their close callback
    int exited, reported;
    int64_t status;
    int signal;
    uint64_t exited_at;
    int pid;                  // also the id of the worker's process group, if it leads one
    // Under the loop's mutex, for sm_try_write on other threads: stdin's descriptor while it
    // is open (else -1), and the sends queued or being written to it.
    int input_fd;
    size_t unwritten;
    struct worker *next;     // in the loop's bucket
} worker;

#define BUCKETS 256
#define ABANDON_PIPES_AFTER_MS 2000
#define MAX_BUFFERS_PER_WRITE 64
#define LOG_PIECE 65536

struct sm_loop {
    uv_loop_t uv;
    uv_async_t wake;
    uv_timer_t timer;
    pthread_t thread;
    // Guards the command queue, the buckets (changed on the loop thread only, read on others
    // by sm_try_write) and each worker's input_fd and unwritten.
    pthread_mutex_t mutex;
    command *head, *tail;
    sm_callbacks callbacks;
    size_t max_line;
    uint64_t tick_ms;
    worker *buckets[BUCKETS];
    size_t worker_count;
    int stopping;
    int handles_closed;
    int deferring;            // inside a read or a wake: the loop thread's sends wait for its end
    int stalled;              // callers ran on this thread for longer than a tick: skip the next
    int thread_id;            // the loop thread's TID, once it runs (atomic)
    command *deferred_head, *deferred_tail;
    char read_buffer[65536];
};

typedef struct write_request {
    uv_write_t request;
    worker *owner;
    size_t count;
    command *commands[MAX_BUFFERS_PER_WRITE];
} write_request;

// MARK: - Small helpers

static void free_strings(char **strings) {
    if (!strings) return;
    for (char **each = strings; *each; each++) free(*each);
    free(strings);
}

static char **copy_strings(const char *const *strings) {
    if (!strings) return NULL;
    size_t count = 0;
    while (strings[count]) count++;
    char **copy = calloc(count + 1, sizeof(char *));
    if (!copy) return NULL;
    for (size_t index = 0; index < count; index++) copy[index] = strdup(strings[index]);
    return copy;
}

static void free_command(command *each) {
    free_strings(each->argv);
    free_strings(each->env);
    free(each->cwd);
    free(each->bytes);
    free(each);
}

static int append(growable *buffer, const uint8_t *bytes, size_t length) {
    if (buffer->length + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 256;
        while (capacity < buffer->length + length) capacity *= 2;
        uint8_t *grown = realloc(buffer->bytes, capacity);
        if (!grown) return -1;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    return 0;
}

static worker *find_worker(sm_loop *loop, uint64_t id) {
    for (worker *each = loop->buckets[id % BUCKETS]; each; each = each->next) {
        if (each->id == id) return each;
    }
    return NULL;
}

static void remove_worker(sm_loop *loop, worker *gone) {
    pthread_mutex_lock(&loop->mutex);
    worker **link = &loop->buckets[gone->id % BUCKETS];
    while (*link && *link != gone) link = &(*link)->next;
    if (*link) *link = gone->next;
    pthread_mutex_unlock(&loop->mutex);
    loop->worker_count--;
}

static void finish_stopping_if_done(sm_loop *loop) {
    if (loop->stopping && loop->worker_count == 0 && !loop->handles_closed) {
        loop->handles_closed = 1;
        uv_close((uv_handle_t *)&loop->wake, NULL);
        uv_close((uv_handle_t *)&loop->timer, NULL);
    }
}

// MARK: - Worker lifetime

static void handle_closed(uv_handle_t *handle) {
    worker *owner = handle->data;
    if (--owner->open_handles > 0) return;
    sm_loop *loop = owner->loop;
    remove_worker(loop, owner);
    free(owner->line.bytes);
    free(owner->log_line.bytes);
    free(owner);
    finish_stopping_if_done(loop);
}

static void close_input(worker *owner) {
    if (!owner->input_open) return;
    owner->input_open = 0;
    // Before the descriptor is closed (and its number reused): no direct write after this.
    pthread_mutex_lock(&owner->loop->mutex);
    owner->input_fd = -1;
    pthread_mutex_unlock(&owner->loop->mutex);
    uv_close((uv_handle_t *)&owner->input, handle_closed);
}

/// Reports the end of a worker once it has exited and its output pipes have ended.
static void report_if_finished(worker *owner) {
    if (owner->reported || !owner->exited || owner->output_open || owner->errors_open) return;
    owner->reported = 1;
    close_input(owner);
    sm_loop *loop = owner->loop;
    loop->callbacks.exited(loop->callbacks.context, owner->id, owner->status, owner->signal);
}

static void close_output(worker *owner) {
    if (!owner->output_open) return;
    owner->output_open = 0;
    uv_read_stop((uv_stream_t *)&owner->output);
    uv_close((uv_handle_t *)&owner->output, handle_closed);
}

static void close_errors(worker *owner) {
    if (!owner->errors_open) return;
    owner->errors_open = 0;
    if (owner->log_line.length > 0) {
        sm_loop *loop = owner->loop;
        loop->callbacks.log(loop->callbacks.context, owner->id, owner->log_line.bytes, owner->log_line.length);
        owner->log_line.length = 0;
    }
    uv_read_stop((uv_stream_t *)&owner->errors);
    uv_close((uv_handle_t *)&owner->errors, handle_closed);
}

/// Signals the worker's process group when it leads one (the bundled runners make themselves
/// leaders as they start), so that what it started (a shell function's script, and whatever
/// that left running in the background) goes with it; else the worker alone. The worker is
/// not spawned in a session of its own (which would lead its group from the start): the
/// scheduler gives each session's processes a share of the CPU together (autogroups), and
/// workers apart from the engine took 3% and 11% off pipelined throughput (bench/RESULTS.md).
static void signal_group(worker *owner, int signal) {
    if (owner->pid > 0 && kill(-owner->pid, signal) == 0) return;
    if (!owner->exited) uv_process_kill(&owner->process, signal);
}

static void process_exited(uv_process_t *process, int64_t status, int signal) {
    worker *owner = process->data;
    // What the worker left behind in its group ends with it, as a Lambda execution
    // environment's processes end with the environment (and the pipes they hold close). No
    // group has the worker's id when it led none.
    if (owner->pid > 0) kill(-owner->pid, SIGKILL);
    owner->exited = 1;
    owner->status = status;
    owner->signal = signal;
    owner->exited_at = uv_now(&owner->loop->uv);
    uv_close((uv_handle_t *)process, handle_closed);
    report_if_finished(owner);
}

// MARK: - Reading

static void allocate(uv_handle_t *handle, size_t suggested, uv_buf_t *buffer) {
    (void)suggested;
    worker *owner = handle->data;
    // Reads happen one at a time on the loop thread, so one buffer serves every pipe.
    *buffer = uv_buf_init(owner->loop->read_buffer, sizeof owner->loop->read_buffer);
}

/// Splits stdout into lines. Whole lines inside the chunk are delivered without copying.
static command *send_batch(sm_loop *loop, command *first);
static void flush_deferred(sm_loop *loop);
static void split_lines(worker *owner, ssize_t count, const uv_buf_t *buffer);

/// Delivers a read's lines, lets the owner act on all of them at once (resuming callers
/// first keeps them supplying work), then writes what they caused, coalescing the writes to
/// each worker.
static void output_read(uv_stream_t *stream, ssize_t count, const uv_buf_t *buffer) {
    worker *owner = stream->data;
    sm_loop *loop = owner->loop;
    loop->deferring = 1;
    split_lines(owner, count, buffer);
    if (loop->callbacks.flush) loop->callbacks.flush(loop->callbacks.context);
    loop->deferring = 0;
    flush_deferred(loop);
    if (loop->callbacks.settled) loop->callbacks.settled(loop->callbacks.context);
}

/// Writes the sends the loop thread deferred, one write per worker: each worker's lines keep
/// their order, and lines for different workers may have been interleaved.
static void flush_deferred(sm_loop *loop) {
    command *rest = loop->deferred_head;
    loop->deferred_head = loop->deferred_tail = NULL;
    while (rest) {
        // Move the first command's worker's sends (up to a write's worth) to the front, in
        // order, then write them together.
        command *group = rest, **group_end = &group->next;
        size_t count = 1;
        command *others = NULL, **others_end = &others;
        for (command *each = rest->next; each;) {
            command *next = each->next;
            if (each->worker == group->worker && count < MAX_BUFFERS_PER_WRITE) {
                *group_end = each;
                group_end = &each->next;
                count++;
            } else {
                *others_end = each;
                others_end = &each->next;
            }
            each = next;
        }
        *others_end = NULL;
        *group_end = others;
        // send_batch consumes the group (consecutive sends to one worker) and returns the rest.
        rest = send_batch(loop, group);
    }
}

static void split_lines(worker *owner, ssize_t count, const uv_buf_t *buffer) {
    sm_loop *loop = owner->loop;
    if (count < 0) {
        // End of output: a partial last line (a plugin that died mid-line) is dropped.
        owner->line.length = 0;
        close_output(owner);
        report_if_finished(owner);
        return;
    }
    const uint8_t *cursor = (const uint8_t *)buffer->base;
    const uint8_t *end = cursor + count;
    while (cursor < end && owner->output_open) {
        const uint8_t *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        if (!newline) {
            size_t rest = (size_t)(end - cursor);
            if (owner->discarding) return;
            if (owner->line.length + rest > loop->max_line || append(&owner->line, cursor, rest) != 0) {
                owner->line.length = 0;
                owner->discarding = 1;
                loop->callbacks.oversize(loop->callbacks.context, owner->id);
            }
            return;
        }
        size_t piece = (size_t)(newline - cursor);
        if (owner->discarding) {
            owner->discarding = 0;
        } else if (owner->line.length == 0) {
            if (piece > loop->max_line) {
                loop->callbacks.oversize(loop->callbacks.context, owner->id);
            } else {
                loop->callbacks.line(loop->callbacks.context, owner->id, cursor, piece);
            }
        } else if (owner->line.length + piece > loop->max_line || append(&owner->line, cursor, piece) != 0) {
            owner->line.length = 0;
            loop->callbacks.oversize(loop->callbacks.context, owner->id);
        } else {
            loop->callbacks.line(loop->callbacks.context, owner->id, owner->line.bytes, owner->line.length);
            owner->line.length = 0;
        }
        cursor = newline + 1;
    }
}

/// Splits stderr into lines for the engine's log; a very long line arrives in pieces.
static void errors_read(uv_stream_t *stream, ssize_t count, const uv_buf_t *buffer) {
    worker *owner = stream->data;
    sm_loop *loop = owner->loop;
    if (count < 0) {
        close_errors(owner);
        report_if_finished(owner);
        return;
    }
    const uint8_t *cursor = (const uint8_t *)buffer->base;
    const uint8_t *end = cursor + count;
    while (cursor < end) {
        const uint8_t *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        const uint8_t *stop = newline ? newline : end;
        if (append(&owner->log_line, cursor, (size_t)(stop - cursor)) != 0) owner->log_line.length = 0;
        if (newline || owner->log_line.length >= LOG_PIECE) {
            loop->callbacks.log(loop->callbacks.context, owner->id, owner->log_line.bytes, owner->log_line.length);
            owner->log_line.length = 0;
        }
        cursor = newline ? newline + 1 : end;
    }
}

// MARK: - Commands

/// Marks every descriptor past stderr close-on-exec before a worker starts, so that the worker
/// inherits only its three pipes: never a file or socket that some part of the engine opened
/// without the flag (a worker holding a file's write end open keeps that file from being run:
/// ETXTBSY). Only what the engine opens in the moment between this and the fork can slip
/// through; a sandboxed worker's launcher closes everything past stderr besides.
static void keep_descriptors_from_children(void) {
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC, Linux 5.11 */) == 0) return;
#endif
    DIR *listing = opendir("/proc/self/fd");
    if (listing == NULL) return;
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        int descriptor = atoi(entry->d_name);
        if (descriptor < 3 || descriptor == dirfd(listing)) continue;
        int flags = fcntl(descriptor, F_GETFD);
        if (flags >= 0 && (flags & FD_CLOEXEC) == 0) fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC);
    }
    closedir(listing);
}

static void spawn_worker(sm_loop *loop, command *order) {
    worker *owner = calloc(1, sizeof(worker));
    if (!owner) {
        loop->callbacks.spawned(loop->callbacks.context, order->worker, -ENOMEM);
        return;
    }
    owner->id = order->worker;
    owner->loop = loop;
    owner->input_fd = -1;
    pthread_mutex_lock(&loop->mutex);
    owner->next = loop->buckets[owner->id % BUCKETS];
    loop->buckets[owner->id % BUCKETS] = owner;
    pthread_mutex_unlock(&loop->mutex);
    loop->worker_count++;

    uv_pipe_init(&loop->uv, &owner->input, 0);
    uv_pipe_init(&loop->uv, &owner->output, 0);
    uv_pipe_init(&loop->uv, &owner->errors, 0);
    owner->input.data = owner->output.data = owner->errors.data = owner->process.data = owner;
    owner->open_handles = 3;
    owner->input_open = owner->output_open = owner->errors_open = 1;

    // Plain pipes rather than libuv's socket pairs (UV_CREATE_PIPE): a small write to a pipe
    // costs the kernel less than one to a Unix socket, which allocates a buffer per write.
    // Close-on-exec, so that no other worker inherits these ends; the child gets its ends
    // as 0, 1 and 2.
    int ends[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int failure = 0;
    for (int index = 0; index < 3 && failure == 0; index++) {
        if (pipe2(ends[index], O_CLOEXEC) != 0) failure = -errno;
    }
    uv_stdio_container_t stdio[3];
    if (failure == 0) {
        // Ours: the write end of stdin, the read ends of stdout and stderr.
        failure = uv_pipe_open(&owner->input, ends[0][1]);
        if (failure == 0) ends[0][1] = -1;
        if (failure == 0 && (failure = uv_pipe_open(&owner->output, ends[1][0])) == 0) ends[1][0] = -1;
        if (failure == 0 && (failure = uv_pipe_open(&owner->errors, ends[2][0])) == 0) ends[2][0] = -1;
        stdio[0].flags = UV_INHERIT_FD;
        stdio[0].data.fd = ends[0][0];
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = ends[1][1];
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = ends[2][1];
    }

    uv_process_options_t options;
    memset(&options, 0, sizeof options);
    options.exit_cb = process_exited;
    options.file = order->argv[0];
    options.args = order->argv;
    options.env = order->env;
    options.cwd = order->cwd;
    options.stdio_count = 3;
    options.stdio = stdio;

    int spawned = 0;
    if (failure == 0) {
        keep_descriptors_from_children();
        // A child gets the scheduling policy of the thread that forks it: the loop thread's
        // SCHED_BATCH (see mark_as_batch), when the engine runs as an ordinary process.
        failure = uv_spawn(&loop->uv, &owner->process, &options);
        spawned = 1;
    }
    // The child's ends are its own now (and any end not yet handed to libuv is closed).
    for (int index = 0; index < 3; index++) {
        for (int side = 0; side < 2; side++) {
            if (ends[index][side] >= 0) close(ends[index][side]);
        }
    }
    if (failure != 0) {
        // Nothing ran: close the pipes and report the failure as the spawn's result.
        owner->reported = 1;
        owner->exited = 1;
        owner->output_open = owner->errors_open = 0;
        if (spawned) {
            owner->open_handles++;  // uv_spawn initialised the process handle even though it failed
            uv_close((uv_handle_t *)&owner->process, handle_closed);
        }
        uv_close((uv_handle_t *)&owner->output, handle_closed);
        uv_close((uv_handle_t *)&owner->errors, handle_closed);
        close_input(owner);
        loop->callbacks.spawned(loop->callbacks.context, order->worker, failure < 0 ? failure : -failure);
        return;
    }
    owner->open_handles++;  // the process handle
    owner->pid = owner->process.pid;
    uv_os_fd_t input_fd;
    if (uv_fileno((uv_handle_t *)&owner->input, &input_fd) == 0) {
        pthread_mutex_lock(&loop->mutex);
        owner->input_fd = input_fd;
        pthread_mutex_unlock(&loop->mutex);
    }
    uv_read_start((uv_stream_t *)&owner->output, allocate, output_read);
    uv_read_start((uv_stream_t *)&owner->errors, allocate, errors_read);
    loop->callbacks.spawned(loop->callbacks.context, order->worker, owner->process.pid);
}

/// Forgets sends that are written (or never will be) in their worker's count.
static void uncount(sm_loop *loop, worker *owner, command *const *commands, size_t count) {
    size_t counted = 0;
    for (size_t index = 0; index < count; index++) counted += (size_t)commands[index]->counted;
    if (!owner || counted == 0) return;
    pthread_mutex_lock(&loop->mutex);
    owner->unwritten -= counted;
    pthread_mutex_unlock(&loop->mutex);
}

static void write_done(uv_write_t *request, int status) {
    (void)status;  // a failed write (the worker died) is reported through its exit
    write_request *batch = (write_request *)request;
    // libuv calls back every write before it closes the pipe: the worker is still there.
    uncount(batch->owner->loop, batch->owner, batch->commands, batch->count);
    for (size_t index = 0; index < batch->count; index++) free_command(batch->commands[index]);
    free(batch);
}

/// Writes `first` and the sends to the same worker that directly follow it in one call.
/// Returns the first command not consumed.
static command *send_batch(sm_loop *loop, command *first) {
    worker *owner = find_worker(loop, first->worker);
    write_request *batch = owner && owner->input_open ? malloc(sizeof(write_request)) : NULL;
    command *each = first;
    if (!batch) {
        command *next = each->next;
        uncount(loop, owner, &each, 1);
        free_command(each);
        return next;
    }
    uv_buf_t buffers[MAX_BUFFERS_PER_WRITE];
    batch->owner = owner;
    batch->count = 0;
    while (each && each->kind == COMMAND_SEND && each->worker == first->worker && batch->count < MAX_BUFFERS_PER_WRITE) {
        buffers[batch->count] = uv_buf_init((char *)each->bytes, (unsigned int)each->length);
        batch->commands[batch->count++] = each;
        each = each->next;
    }
    if (uv_write(&batch->request, (uv_stream_t *)&owner->input, buffers, (unsigned int)batch->count, write_done) != 0) {
        write_done(&batch->request, -1);
    }
    return each;
}

static void stop_all(sm_loop *loop) {
    loop->stopping = 1;
    for (size_t bucket = 0; bucket < BUCKETS; bucket++) {
        for (worker *each = loop->buckets[bucket]; each; each = each->next) {
            if (!each->exited) signal_group(each, SIGKILL);
            close_input(each);
        }
    }
    finish_stopping_if_done(loop);
}

static void drain_commands(uv_async_t *wake) {
    sm_loop *loop = wake->data;
    if (loop->callbacks.wake && !loop->stopping) {
        loop->deferring = 1;
        loop->callbacks.wake(loop->callbacks.context);
        loop->deferring = 0;
        flush_deferred(loop);
    }
    pthread_mutex_lock(&loop->mutex);
    command *each = loop->head;
    loop->head = loop->tail = NULL;
    pthread_mutex_unlock(&loop->mutex);
    while (each) {
        if (each->kind == COMMAND_SEND) {
            each = send_batch(loop, each);
            continue;
        }
        command *next = each->next;
        worker *owner;
        switch (each->kind) {
        case COMMAND_SPAWN:
            if (loop->stopping) loop->callbacks.spawned(loop->callbacks.context, each->worker, -ECANCELED);
            else spawn_worker(loop, each);
            break;
        case COMMAND_CLOSE_STDIN:
            if ((owner = find_worker(loop, each->worker))) close_input(owner);
            break;
        case COMMAND_KILL:
            if ((owner = find_worker(loop, each->worker)) && !owner->exited) signal_group(owner, each->signal);
            break;
        case COMMAND_STOP:
            stop_all(loop);
            break;
        case COMMAND_SEND:
            break;
        }
        free_command(each);
        each = next;
    }
}

static void tick(uv_timer_t *timer) {
    sm_loop *loop = timer->data;
    // After callers ran long on this thread, answers that came meanwhile are read before the
    // next deadline check (libuv runs timers before it polls), so none is late for the stall.
    if (loop->stalled) {
        loop->stalled = 0;
        return;
    }
    uint64_t now = uv_now(&loop->uv);
    // A descendant that inherited the pipes can keep them open after the worker exited;
    // stop waiting for their end after a while.
    for (size_t bucket = 0; bucket < BUCKETS; bucket++) {
        worker *each = loop->buckets[bucket];
        while (each) {
            worker *next = each->next;
            if (each->exited && !each->reported && now - each->exited_at > ABANDON_PIPES_AFTER_MS) {
                each->line.length = 0;
                close_output(each);
                close_errors(each);
                report_if_finished(each);
            }
            each = next;
        }
    }
    if (!loop->stopping) loop->callbacks.tick(loop->callbacks.context);
}

static void enqueue(sm_loop *loop, command *order) {
    pthread_mutex_lock(&loop->mutex);
    if (loop->tail) loop->tail->next = order;
    else loop->head = order;
    loop->tail = order;
    pthread_mutex_unlock(&loop->mutex);
    uv_async_send(&loop->wake);
}

static command *new_command(enum command_kind kind, uint64_t worker) {
    command *order = calloc(1, sizeof(command));
    if (!order) abort();  // out of memory: nothing sensible remains to be done
    order->kind = kind;
    order->worker = worker;
    return order;
}

// MARK: - Public functions

// The loop thread runs as SCHED_BATCH, when it was started as an ordinary thread: woken by
// an answer, it then waits for a core to come free (a worker waiting for input, a caller
// suspending) rather than preempting a busy worker or caller, and finds more answers to read
// when it runs. With invocations pipelined, this halves the context switches and cuts the
// CPU a Lambda Task costs (bench/RESULTS.md, 2026-11-28). Linux lets any thread take it.
// The workers it starts inherit it: a worker woken by its next invoke line then waits for the
// loop thread to finish what it was doing (the other workers' answers) instead of preempting
// it at its write, which with one invocation in flight per worker made the worker on the
// loop thread's core answer at the expense of the others (bench/RESULTS.md, 2026-11-28,
// second sitting).
static void mark_as_batch(void) {
#ifdef SCHED_BATCH
    int policy;
    struct sched_param priority;
    if (pthread_getschedparam(pthread_self(), &policy, &priority) != 0 || policy != SCHED_OTHER) return;
    struct sched_param batch = {0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
#endif
}

static void *run_loop(void *argument) {
    sm_loop *loop = argument;
    // Named for `top -H` and `perf` (it would otherwise carry the name of the thread that
    // started the host, most often one of the Swift executor's).
    pthread_setname_np(pthread_self(), "statesman-loop");
    __atomic_store_n(&loop->thread_id, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
    mark_as_batch();
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    return NULL;
}

sm_loop *sm_loop_start(sm_callbacks callbacks, size_t max_line, uint64_t tick_ms) {
    signal(SIGPIPE, SIG_IGN);
    sm_loop *loop = calloc(1, sizeof(sm_loop));
    if (!loop) return NULL;
    loop->callbacks = callbacks;
    loop->max_line = max_line;
    loop->tick_ms = tick_ms ? tick_ms : 50;
    if (uv_loop_init(&loop->uv) != 0) {
        free(loop);
        return NULL;
    }
    pthread_mutex_init(&loop->mutex, NULL);
    uv_async_init(&loop->uv, &loop->wake, drain_commands);
    loop->wake.data = loop;
    uv_timer_init(&loop->uv, &loop->timer);
    loop->timer.data = loop;
    uv_timer_start(&loop->timer, tick, loop->tick_ms, loop->tick_ms);
    if (pthread_create(&loop->thread, NULL, run_loop, loop) != 0) {
        uv_close((uv_handle_t *)&loop->wake, NULL);
        uv_close((uv_handle_t *)&loop->timer, NULL);
        uv_run(&loop->uv, UV_RUN_DEFAULT);
        uv_loop_close(&loop->uv);
        free(loop);
        return NULL;
    }
    return loop;
}

void sm_spawn(sm_loop *loop, uint64_t worker, const char *const *argv, const char *const *env, const char *cwd) {
    command *order = new_command(COMMAND_SPAWN, worker);
    order->argv = copy_strings(argv);
    order->env = copy_strings(env);
    order->cwd = cwd ? strdup(cwd) : NULL;
    enqueue(loop, order);
}

void sm_send(sm_loop *loop, uint64_t id, const uint8_t *bytes, size_t length) {
    command *order = new_command(COMMAND_SEND, id);
    order->bytes = malloc(length ? length : 1);
    if (!order->bytes) abort();
    memcpy(order->bytes, bytes, length);
    order->length = length;
    // Counted until written, so that no direct write (sm_try_write) overtakes it.
    pthread_mutex_lock(&loop->mutex);
    worker *owner = find_worker(loop, id);
    if (owner) {
        owner->unwritten++;
        order->counted = 1;
    }
    pthread_mutex_unlock(&loop->mutex);
    if (pthread_equal(pthread_self(), loop->thread)) {
        // On the loop thread (an answer just freed a worker and the next invocation goes to
        // it): no need to wake the loop. During a read or a wake, wait for its end to
        // coalesce the writes to each worker.
        if (loop->deferring) {
            if (loop->deferred_tail) loop->deferred_tail->next = order;
            else loop->deferred_head = order;
            loop->deferred_tail = order;
        } else {
            send_batch(loop, order);
        }
        return;
    }
    enqueue(loop, order);
}

int sm_try_write(sm_loop *loop, uint64_t id, const uint8_t *bytes, size_t length) {
    // A pipe takes a write of at most PIPE_BUF bytes whole or not at all: never half a line.
    if (length == 0 || length > PIPE_BUF) return 0;
    int written = 0;
    pthread_mutex_lock(&loop->mutex);
    worker *owner = find_worker(loop, id);
    if (owner && owner->input_fd >= 0 && owner->unwritten == 0) {
        ssize_t count;
        do {
            count = write(owner->input_fd, bytes, length);
        } while (count < 0 && errno == EINTR);
        written = count == (ssize_t)length;
    }
    pthread_mutex_unlock(&loop->mutex);
    return written;
}

void sm_wake(sm_loop *loop) { uv_async_send(&loop->wake); }

int sm_on_loop_thread(const sm_loop *loop) { return pthread_equal(pthread_self(), loop->thread); }

int sm_loop_thread_id(const sm_loop *loop) { return __atomic_load_n(&loop->thread_id, __ATOMIC_ACQUIRE); }

// MARK: - Callers run by the loop thread

// The Swift runtime's hook for enqueueing a job on the global concurrent executor, and the
// function that runs a job (both with Swift's calling convention). A job of the global
// executor runs on the generic executor, whose reference is two zero words.
typedef void (__attribute__((swiftcall)) *enqueue_original)(void *job);
typedef void (__attribute__((swiftcall)) *enqueue_hook_t)(void *job, enqueue_original original);
extern enqueue_hook_t swift_task_enqueueGlobal_hook;
extern void swift_job_run(void *job, void *executor_identity, uintptr_t executor_implementation) __attribute__((swiftcall));

typedef struct captured_jobs {
    int on;
    void **jobs;
    size_t count, capacity;
    enqueue_original forward;  // the executor's own enqueue, as the hook was given it
} captured_jobs;

static __thread captured_jobs captured;
// A hook installed before ours (by a test library, say) still sees every job we do not keep.
static enqueue_hook_t earlier_hook;

static void pass_on(void *job, enqueue_original original) {
    if (earlier_hook) earlier_hook(job, original);
    else original(job);
}

static void __attribute__((swiftcall)) enqueue_hook(void *job, enqueue_original original) {
    if (!captured.on) {
        pass_on(job, original);
        return;
    }
    if (captured.count == captured.capacity) {
        size_t capacity = captured.capacity ? captured.capacity * 2 : 16;
        void **jobs = realloc(captured.jobs, capacity * sizeof(void *));
        if (!jobs) {
            pass_on(job, original);
            return;
        }
        captured.jobs = jobs;
        captured.capacity = capacity;
    }
    captured.jobs[captured.count++] = job;
    captured.forward = original;
}

static pthread_once_t hook_installed = PTHREAD_ONCE_INIT;
static void install_hook(void) {
    earlier_hook = swift_task_enqueueGlobal_hook;
    swift_task_enqueueGlobal_hook = enqueue_hook;
}

void sm_capture(int on) {
    pthread_once(&hook_installed, install_hook);
    captured.on = on;
}

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

void sm_run_captured(sm_loop *loop, uint64_t budget_ns) {
    if (captured.count == 0) {
        captured.on = 0;
        return;
    }
    captured.on = 1;
    uint64_t start = monotonic_ns();
    size_t next = 0;
    while (next < captured.count) {
        if (monotonic_ns() - start > budget_ns) {
            captured.on = 0;
            while (next < captured.count) pass_on(captured.jobs[next++], captured.forward);
            break;
        }
        // Read again each time: the job may add jobs (and move the array).
        swift_job_run(captured.jobs[next++], NULL, 0);
    }
    captured.count = 0;
    captured.on = 0;
    if (monotonic_ns() - start > loop->tick_ms * 1000000u) loop->stalled = 1;
}

void sm_close_stdin(sm_loop *loop, uint64_t worker) { enqueue(loop, new_command(COMMAND_CLOSE_STDIN, worker)); }

void sm_kill(sm_loop *loop, uint64_t worker, int signal) {
    command *order = new_command(COMMAND_KILL, worker);
    order->signal = signal;
    enqueue(loop, order);
}

void sm_loop_stop(sm_loop *loop) {
    enqueue(loop, new_command(COMMAND_STOP, 0));
    pthread_join(loop->thread, NULL);
    // Commands that arrived after the stop are dropped.
    for (command *each = loop->head; each;) {
        command *next = each->next;
        free_command(each);
        each = next;
    }
    uv_loop_close(&loop->uv);
    pthread_mutex_destroy(&loop->mutex);
    free(loop);
}
