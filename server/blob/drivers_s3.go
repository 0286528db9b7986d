//go:build s3 || cloud

package blob

// s3:// (AWS and S3-compatible stores such as MinIO, Ceph, R2, and GCS with
// HMAC keys) brings the AWS SDK and gocloud.dev: build with -tags s3.
import _ "gocloud.dev/blob/s3blob"

func init() { compiledIn["s3"] = true }
