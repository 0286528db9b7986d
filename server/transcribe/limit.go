package transcribe

import "parley/server/apperr"

// UnknownLengthReason is why audio whose file does not say how long it plays
// (media.Duration's ok=false) is not transcribed: the 5-minute rule needs it.
const UnknownLengthReason = "the length of the audio could not be read from the file"

// CheckLength applies API.md's rule to an attachment's duration (known is
// false when the file did not say): nil when it may be transcribed;
// LIMIT_EXCEEDED (limit "transcriptionSeconds", max 300), an *apperr.Error
// for the mutation to return, when it is longer; a final *Error with
// UnknownLengthReason, for the transcription to be FAILED with, when unknown.
func CheckLength(seconds float64, known bool) error {
	switch {
	case !known:
		return final(UnknownLengthReason, nil)
	case seconds > MaxSeconds:
		return apperr.Limit("transcriptionSeconds", MaxSeconds, "audio longer than 5 minutes cannot be transcribed")
	}
	return nil
}
