//go:build parley_gcs

package blob

// gs:// pulls in the Google Cloud SDK with gRPC and OpenTelemetry exporters
// (about 34 MB of binary), so it is opt-in: build with -tags parley_gcs.
// GCS also answers S3 requests (interoperability with HMAC keys) through the
// default s3:// driver.
import _ "gocloud.dev/blob/gcsblob"
