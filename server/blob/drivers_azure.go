//go:build parley_azure

package blob

// azblob:// pulls in the Azure SDK (about 8 MB of binary): build with
// -tags parley_azure.
import _ "gocloud.dev/blob/azureblob"
