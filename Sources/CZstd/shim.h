// Zstandard, the Debian package libzstd-dev, found through pkg-config (see Package.swift):
// Parquet pages compressed with ZSTD.
#include <zstd.h>
