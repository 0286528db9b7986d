//go:build !parley_nos3

package blob

// s3:// (AWS and S3-compatible stores such as MinIO, Ceph, R2) is compiled
// in by default: it is the common way out of one machine and costs about
// 14 MB of binary. Build with -tags parley_nos3 to leave it out.
import _ "gocloud.dev/blob/s3blob"
