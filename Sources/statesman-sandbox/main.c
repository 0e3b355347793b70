// statesman-sandbox: confines one plugin process, then executes it.
//
//   statesman-sandbox [--dir DIR] [--no-network] [--read-only] [--cpu SECONDS]
//                     [--memory BYTES] [--processes N] [--files N] [--file-size BYTES]
//                     [--pids-cgroup DIR] -- PROGRAM [ARGUMENT...]
//   statesman-sandbox --probe
//
// --no-network gives the process a new network namespace (no interfaces but a down loopback);
// --read-only makes every mount read-only except DIR (a new mount namespace); limits are
// setrlimit(2) limits, except that a process limit for root, whom RLIMIT_NPROC does not bind,
// needs a pids cgroup (--pids-cgroup). Without root these need an unprivileged user namespace.
// A step that cannot be taken is an error (exit 126, message on stderr): the sandbox never
// pretends. --probe prints which steps this machine allows, as JSON.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_FAILED 126

static void fail(const char *step, const char *detail) {
    fprintf(stderr, "statesman-sandbox: %s: %s\n", step, detail ? detail : strerror(errno));
    exit(SETUP_FAILED);
}

static int write_file(const char *path, const char *text) {
    int descriptor = open(path, O_WRONLY | O_CLOEXEC);
    if (descriptor < 0) return -1;
    ssize_t written = write(descriptor, text, strlen(text));
    int saved = errno;
    close(descriptor);
    errno = saved;
    return written == (ssize_t)strlen(text) ? 0 : -1;
}

/// New namespaces for the network and mounts. Root gets them directly; anyone else through a
/// user namespace that maps their own user and group.
static int enter_namespaces(int network, int mounts) {
    int flags = (network ? CLONE_NEWNET : 0) | (mounts ? CLONE_NEWNS : 0);
    if (flags == 0) return 0;
    if (geteuid() == 0) return unshare(flags);
    uid_t user = geteuid();
    gid_t group = getegid();
    if (unshare(flags | CLONE_NEWUSER) != 0) return -1;
    char map[64];
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT) return -1;
    snprintf(map, sizeof map, "%u %u 1", (unsigned)user, (unsigned)user);
    if (write_file("/proc/self/uid_map", map) != 0) return -1;
    snprintf(map, sizeof map, "%u %u 1", (unsigned)group, (unsigned)group);
    if (write_file("/proc/self/gid_map", map) != 0) return -1;
    return 0;
}

/// Every mount becomes read-only, then `writable` is bound onto itself and made writable.
static int make_read_only(const char *writable) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    if (writable && mount(writable, writable, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    struct mount_attr read_only = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, -1, "/", AT_RECURSIVE, &read_only, sizeof read_only) != 0) return -1;
    if (writable) {
        struct mount_attr read_write = {.attr_clr = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, -1, writable, 0, &read_write, sizeof read_write) != 0) return -1;
    }
    return 0;
}

static void limit(int resource, const char *value, const char *name) {
    if (!value) return;
    char *end = NULL;
    unsigned long long number = strtoull(value, &end, 10);
    if (!end || *end != '\0') fail(name, "not a number");
    struct rlimit bound = {.rlim_cur = number, .rlim_max = number};
    if (setrlimit(resource, &bound) != 0) fail(name, NULL);
}

static void join_pids_cgroup(const char *directory, const char *maximum) {
    if (mkdir(directory, 0755) != 0 && errno != EEXIST) fail("pids cgroup", NULL);
    char path[4096], text[32];
    snprintf(path, sizeof path, "%s/pids.max", directory);
    if (write_file(path, maximum) != 0) fail("pids cgroup: pids.max", NULL);
    snprintf(path, sizeof path, "%s/cgroup.procs", directory);
    snprintf(text, sizeof text, "%d", (int)getpid());
    if (write_file(path, text) != 0) fail("pids cgroup: cgroup.procs", NULL);
}

/// Tries each step in a throw-away child and prints what worked.
static int probe(void) {
    const char *names[] = {"network", "filesystem"};
    int results[2];
    for (int step = 0; step < 2; step++) {
        pid_t child = fork();
        if (child == 0) {
            int ok = step == 0 ? enter_namespaces(1, 0) == 0 : (enter_namespaces(0, 1) == 0 && make_read_only("/tmp") == 0);
            _exit(ok ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        results[step] = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    printf("{\"%s\":%s,\"%s\":%s,\"root\":%s}\n", names[0], results[0] ? "true" : "false", names[1], results[1] ? "true" : "false",
           geteuid() == 0 ? "true" : "false");
    return 0;
}

/// Closes every descriptor past stdin, stdout and stderr, so the plugin reaches nothing of the
/// engine's (a file, a socket) that a missing close-on-exec flag would have let through.
static void close_inherited(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    struct rlimit open_files;
    int highest = getrlimit(RLIMIT_NOFILE, &open_files) == 0 && open_files.rlim_cur != RLIM_INFINITY && open_files.rlim_cur < 65536
        ? (int)open_files.rlim_cur : 65536;
    for (int descriptor = 3; descriptor < highest; descriptor++) close(descriptor);
}

int main(int count, char **arguments) {
    const char *directory = NULL, *cpu = NULL, *memory = NULL, *processes = NULL, *files = NULL, *file_size = NULL;
    const char *pids_cgroup = NULL;
    int network = 0, read_only = 0, index = 1;
    for (; index < count; index++) {
        const char *option = arguments[index];
        const char *value = index + 1 < count ? arguments[index + 1] : NULL;
        if (strcmp(option, "--") == 0) {
            index++;
            break;
        } else if (strcmp(option, "--probe") == 0) {
            return probe();
        } else if (strcmp(option, "--no-network") == 0) {
            network = 1;
        } else if (strcmp(option, "--read-only") == 0) {
            read_only = 1;
        } else if (value && strcmp(option, "--dir") == 0) {
            directory = value, index++;
        } else if (value && strcmp(option, "--cpu") == 0) {
            cpu = value, index++;
        } else if (value && strcmp(option, "--memory") == 0) {
            memory = value, index++;
        } else if (value && strcmp(option, "--processes") == 0) {
            processes = value, index++;
        } else if (value && strcmp(option, "--files") == 0) {
            files = value, index++;
        } else if (value && strcmp(option, "--file-size") == 0) {
            file_size = value, index++;
        } else if (value && strcmp(option, "--pids-cgroup") == 0) {
            pids_cgroup = value, index++;
        } else {
            fprintf(stderr, "statesman-sandbox: unknown or incomplete option %s\n", option);
            return SETUP_FAILED;
        }
    }
    if (index >= count) fail("usage", "no program given after --");

    if (pids_cgroup && processes) join_pids_cgroup(pids_cgroup, processes);
    if (enter_namespaces(network, read_only) != 0) fail(network ? "network namespace" : "mount namespace", NULL);
    if (read_only && make_read_only(directory) != 0) fail("read-only file system", NULL);
    if (directory && chdir(directory) != 0) fail("scratch directory", NULL);
    limit(RLIMIT_CPU, cpu, "cpu limit");
    limit(RLIMIT_AS, memory, "memory limit");
    limit(RLIMIT_NPROC, processes, "process limit");
    limit(RLIMIT_NOFILE, files, "open-file limit");
    limit(RLIMIT_FSIZE, file_size, "file-size limit");
    close_inherited();

    execv(arguments[index], &arguments[index]);
    execvp(arguments[index], &arguments[index]);
    fail(arguments[index], NULL);
    return SETUP_FAILED;
}
