// The plugin host's I/O core: one libuv loop on its own thread that spawns plugin processes,
// frames their stdout into lines, forwards their stderr line by line, writes to their stdin,
// and reports their exit. Everything else (the protocol, pools, deadlines) is Swift's.
//
// Threading: every function here may be called from any thread; it queues a command for the
// loop thread and wakes it with uv_async_send (sm_try_write alone writes on the caller's
// thread). Every callback runs on the loop thread.
#ifndef STATESMAN_PLUGIN_LOOP_H
#define STATESMAN_PLUGIN_LOOP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_loop sm_loop;

typedef struct sm_callbacks {
    void *context;
    /// The worker was spawned (pid > 0) or could not be (pid = -errno).
    void (*spawned)(void *context, uint64_t worker, int64_t pid);
    /// One line of the worker's stdout, without its newline.
    void (*line)(void *context, uint64_t worker, const uint8_t *bytes, size_t length);
    /// One line of the worker's stderr, without its newline (long lines arrive in pieces).
    void (*log)(void *context, uint64_t worker, const uint8_t *bytes, size_t length);
    /// A stdout line grew past the maximum line size; the rest of it is discarded.
    void (*oversize)(void *context, uint64_t worker);
    /// The worker exited and both its output pipes reached their end (or were abandoned a
    /// while after the exit because a descendant kept them open). `signal` is 0 unless a
    /// signal ended it. Nothing more arrives for this worker.
    void (*exited)(void *context, uint64_t worker, int64_t status, int signal);
    /// The periodic tick, for deadlines and reaping.
    void (*tick)(void *context);
    /// The lines of one read have all been delivered: what they caused may be done now in one
    /// go (writes to the same worker are then coalesced). May be NULL.
    void (*flush)(void *context);
    /// The loop was woken (by sm_wake or a command), before queued commands run: the owner
    /// takes the work it queued for the loop thread. May be NULL.
    void (*wake)(void *context);
    /// After a read's lines were handled and the writes they caused were made: the owner may
    /// run work of its own on the loop thread now (see sm_run_captured). May be NULL.
    void (*settled)(void *context);
} sm_callbacks;

/// Starts the loop thread. `max_line` bounds a stdout line; `tick_ms` is the tick period.
/// Returns NULL when the loop cannot start. Sets SIGPIPE to ignored.
sm_loop *sm_loop_start(sm_callbacks callbacks, size_t max_line, uint64_t tick_ms);

/// Spawns a worker: `argv` is NULL-terminated (argv[0] is the executable path), `env` is
/// NULL-terminated `NAME=value` strings, `cwd` may be NULL. The strings are copied.
void sm_spawn(sm_loop *loop, uint64_t worker, const char *const *argv, const char *const *env, const char *cwd);

/// Writes bytes to the worker's stdin (copied; writes keep their order).
void sm_send(sm_loop *loop, uint64_t worker, const uint8_t *bytes, size_t length);

/// Writes a line to the worker's stdin at once, from the calling thread, when every earlier
/// send to it has been written and the pipe takes the whole line now (it must be at most
/// PIPE_BUF bytes: such a write is never split). Returns 1 when written, 0 when it was not
/// (use sm_send). Not to be called after sm_loop_stop.
int sm_try_write(sm_loop *loop, uint64_t worker, const uint8_t *bytes, size_t length);

/// Closes the worker's stdin (it reads end of file after what was already sent).
void sm_close_stdin(sm_loop *loop, uint64_t worker);

/// Sends a signal to the worker's process.
void sm_kill(sm_loop *loop, uint64_t worker, int signal);

/// Wakes the loop thread, which calls the `wake` callback (many calls may wake it once).
void sm_wake(sm_loop *loop);

/// Whether the calling thread is the loop's own.
int sm_on_loop_thread(const sm_loop *loop);

/// The loop thread's id (its Linux TID: /proc/self/task/TID), or 0 before it has started.
int sm_loop_thread_id(const sm_loop *loop);

/// Callers run by the loop thread. While capturing is on for the calling thread, a job it
/// enqueues on Swift's global concurrent executor (a task resumed there, say) is kept instead
/// of being handed to the executor's threads; sm_run_captured then runs the kept jobs on this
/// thread. Jobs enqueued by other threads, or on actors and task executors, are not touched.
void sm_capture(int on);

/// On the loop thread: runs the jobs it kept, in order, and those they enqueue in turn, until
/// none is left or `budget_ns` nanoseconds have passed; what is left then goes to the global
/// executor. Capturing is off afterwards. A job cannot be interrupted: when the jobs ran
/// longer than a tick, the next tick is skipped, so that answers that arrived meanwhile are
/// read before deadlines are checked.
void sm_run_captured(sm_loop *loop, uint64_t budget_ns);

/// Stops the loop after killing (SIGKILL) every worker still alive and reaping it; returns
/// when the loop thread has ended. The loop must not be used afterwards.
void sm_loop_stop(sm_loop *loop);

#ifdef __cplusplus
}
#endif

#endif
