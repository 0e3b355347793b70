// libuv, the Debian package libuv1-dev, found through pkg-config (see Package.swift).
#include <uv.h>
