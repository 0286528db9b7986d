package whatsapp

import (
	"unicode/utf8"

	"parley/server/apperr"
	"parley/server/channel"
)

// WhatsApp's limits on what it sends.
const (
	MaxText    = 4096 // characters of a text message
	MaxCaption = 1024 // characters of a file's caption
	MaxImage   = 5 * channel.MiB
	MaxAudio   = 16 * channel.MiB
	MaxVideo   = 16 * channel.MiB
)

// CheckOutbound implements channel.Checker: text up to 4,096 characters,
// or 1,024 when it rides as a file's caption; images up to 5 MB, audio and
// video up to 16 MB (documents are bounded by the channel's own limit).
func (Provider) CheckOutbound(text string, files []channel.Attachment) error {
	n := utf8.RuneCountInString(text)
	if n > MaxText {
		return apperr.New(apperr.TextTooLong, "WhatsApp sends messages of up to 4,096 characters").With("max", MaxText)
	}
	if n > MaxCaption && anyCaptionable(files) {
		return apperr.New(apperr.TextTooLong, "WhatsApp sends a file's caption of up to 1,024 characters").With("max", MaxCaption)
	}
	for _, f := range files {
		var max int64
		var what string
		switch mediaType(f.ContentType) {
		case typeImage:
			max, what = MaxImage, "images up to 5 MB"
		case typeAudio:
			max, what = MaxAudio, "audio up to 16 MB"
		case typeVideo:
			max, what = MaxVideo, "videos up to 16 MB"
		default:
			continue
		}
		if f.Size > max {
			return apperr.New(apperr.FileTooLarge, "WhatsApp sends %s", what).With("max", max)
		}
	}
	return nil
}
