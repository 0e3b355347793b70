// The baseline worker for the plugin benchmarks: says hello, then answers every invoke with a
// result carrying its payload, as fast as a process can. Shows the pipe's own limit.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char input[1 << 20];
static char output[1 << 20];

int main(void) {
    const char *hello = "{\"type\":\"hello\",\"protocol\":[1],\"name\":\"c-echo\",\"concurrency\":1}\n";
    if (write(1, hello, strlen(hello)) < 0) return 1;
    size_t used = 0;
    for (;;) {
        ssize_t got = read(0, input + used, sizeof input - used);
        if (got <= 0) return 0;
        used += (size_t)got;
        size_t out = 0;
        char *cursor = input, *end = input + used, *newline;
        while ((newline = memchr(cursor, '\n', (size_t)(end - cursor)))) {
            *newline = '\0';
            char *type = strstr(cursor, "\"type\":\"");
            if (type && strncmp(type + 8, "invoke", 6) == 0) {
                char *id = strstr(cursor, "\"id\":\"");
                char *payload = strstr(cursor, "\"payload\":");
                char *context = strstr(cursor, ",\"context\":");
                if (id && payload && context) {
                    id += 6;
                    char *close = strchr(id, '"');
                    payload += 10;
                    out += (size_t)snprintf(output + out, sizeof output - out, "{\"type\":\"result\",\"id\":\"%.*s\",\"payload\":%.*s}\n",
                                            (int)(close - id), id, (int)(context - payload), payload);
                }
            } else if (type && strncmp(type + 8, "shutdown", 8) == 0) {
                return 0;
            }
            cursor = newline + 1;
        }
        if (out > 0 && write(1, output, out) < 0) return 1;
        used = (size_t)(end - cursor);
        memmove(input, cursor, used);
    }
}
