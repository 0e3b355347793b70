// LZ4, the Debian package liblz4-dev, found through pkg-config (see Package.swift): Parquet
// pages compressed with LZ4_RAW (and LZ4).
#include <lz4.h>
