//go:build gcs || cloud

package blob

// gs:// brings the Google Cloud SDK with gRPC and OpenTelemetry exporters
// (the largest of the three): build with -tags gcs. GCS also answers S3
// requests (interoperability with HMAC keys) through the s3:// driver.
import _ "gocloud.dev/blob/gcsblob"

func init() { compiledIn["gs"] = true }
