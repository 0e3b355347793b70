// zlib, the Debian package zlib1g-dev, found through pkg-config (see Package.swift): gzip
// objects (S3 Inventory data files) are inflated as they stream.
#include <zlib.h>
