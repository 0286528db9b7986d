//go:build azure || cloud

package blob

// azblob:// brings the Azure SDK: build with -tags azure.
import _ "gocloud.dev/blob/azureblob"

func init() { compiledIn["azblob"] = true }
