// Brotli's decoder, the Debian package libbrotli-dev, found through pkg-config (see
// Package.swift): Parquet pages compressed with BROTLI.
#include <brotli/decode.h>
