package files

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	_ "golang.org/x/image/webp"

	"parley/server/blob"
)

// Kind is the kind of message an attachment makes; the values are the
// GraphQL MessageKind names.
type Kind string

// Kinds of attachment message.
const (
	KindImage Kind = "IMAGE"
	KindFile  Kind = "FILE"
	KindAudio Kind = "AUDIO"
	KindVideo Kind = "VIDEO"
)

// Info is what a file is, from its content.
type Info struct {
	ContentType string
	Kind        Kind
	// Width and Height of an image as displayed (EXIF rotation applied);
	// zero for anything else.
	Width, Height int
}

// sniffLen is how much of a file Describe looks at for its type: more than
// http.DetectContentType's 512 bytes, since a WebM's track list may sit a
// few hundred bytes in.
const sniffLen = 4096

// imageHeaderMax bounds what image.DecodeConfig may read: a JPEG's size
// comes after its EXIF and ICC segments, which are at most a few hundred KB.
const imageHeaderMax = 4 << 20

// Inspect describes the blob stored under key.
func Inspect(ctx context.Context, st blob.Store, key, filename string) (Info, error) {
	o, err := st.Open(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer o.Close()
	return Describe(o, filename)
}

// Describe reads the start of r and says what it is. The client's filename
// only refines a generic type (a zip that is really a .docx); it never
// makes a file an image, audio or video, nor anything a browser would run.
// An image whose header does not decode is described as a plain file.
func Describe(r io.Reader, filename string) (Info, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, imageHeaderMax), sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Info{}, err
	}
	ct := DetectContentType(head)
	info := Info{ContentType: ct, Kind: KindOf(ct)}
	if info.Kind == KindImage {
		cfg, format, err := image.DecodeConfig(br)
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
			return Info{ContentType: "application/octet-stream", Kind: KindFile}, nil
		}
		info.Width, info.Height = cfg.Width, cfg.Height
		if format == "jpeg" && jpegRotated(head) {
			info.Width, info.Height = info.Height, info.Width
		}
		return info, nil
	}
	if info.Kind == KindFile {
		info.ContentType = refineByName(ct, filename)
	}
	return info, nil
}

// inlineImages are the image types a browser may show in place: raster
// formats that cannot carry script. SVG is not one.
var inlineImages = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
}

// KindOf classifies a content type as DetectContentType reports it.
func KindOf(contentType string) Kind {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case inlineImages[mt]:
		return KindImage
	case strings.HasPrefix(mt, "audio/"):
		return KindAudio
	case strings.HasPrefix(mt, "video/"):
		return KindVideo
	}
	return KindFile
}

// DetectContentType is http.DetectContentType plus the audio and video
// formats it misses or lumps together: MP4 family (m4a, mov, 3gp, HEIC),
// WebM/Matroska and Ogg told apart by their tracks, MP3 without an ID3 tag,
// AAC, FLAC, AMR; and SVG, so that it is named (and never shown inline).
func DetectContentType(head []byte) string {
	if ct := sniffMedia(head); ct != "" {
		return ct
	}
	ct := http.DetectContentType(head)
	switch ct {
	case "application/octet-stream":
		// Frame sync only where nothing else matched: a UTF-16 BOM, say,
		// looks like one.
		if len(head) >= 4 && head[0] == 0xFF && head[1]&0xE0 == 0xE0 {
			if mpeg := sniffMPEGAudio(head); mpeg != "" {
				return mpeg
			}
		}
	case "audio/wave":
		return "audio/wav"
	case "application/ogg":
		return "audio/ogg"
	case "text/xml; charset=utf-8", "text/plain; charset=utf-8":
		if isSVG(head) {
			return "image/svg+xml"
		}
	}
	return ct
}

func sniffMedia(b []byte) string {
	switch {
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return sniffFtyp(b)
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return sniffEBML(b)
	case bytes.HasPrefix(b, []byte("OggS")):
		return sniffOgg(b)
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "audio/flac"
	case bytes.HasPrefix(b, []byte("#!AMR")):
		return "audio/amr"
	case bytes.HasPrefix(b, []byte("caff")):
		return "audio/x-caf"
	}
	return ""
}

// sniffFtyp reads the ISO base media (MP4) brands.
func sniffFtyp(b []byte) string {
	size := int(binary.BigEndian.Uint32(b[:4]))
	if size < 16 || size > len(b) {
		size = min(len(b), 64)
	}
	brands := []string{string(b[8:12])}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(b[i:i+4]))
	}
	switch major := brands[0]; {
	case major == "M4A " || major == "M4B " || major == "M4P " || major == "F4A " || major == "F4B ":
		return "audio/mp4"
	case major == "qt  ":
		return "video/quicktime"
	case strings.HasPrefix(major, "3g2"):
		return "video/3gpp2"
	case strings.HasPrefix(major, "3gp"):
		return "video/3gpp"
	case major == "avif" || major == "avis":
		return "image/avif"
	case major == "heic" || major == "heix" || major == "heim" || major == "heis" || major == "mif1" || major == "msf1":
		return "image/heic"
	case major == "crx ":
		return "" // Canon raw, not a video
	}
	for _, br := range brands {
		if br == "M4A " {
			return "audio/mp4"
		}
	}
	return "video/mp4"
}

// sniffEBML tells audio-only WebM/Matroska (a recorded voice note) from
// video by the tracks' CodecID (element 0x86, "V_…" or "A_…") or TrackType
// (element 0x83: 1 video, 2 audio) found in the first bytes.
func sniffEBML(b []byte) string {
	sub := "webm"
	if bytes.Contains(b[:min(len(b), 64)], []byte("matroska")) {
		sub = "x-matroska"
	}
	video, audio := false, false
	for i := 0; i+3 < len(b); i++ {
		switch {
		case b[i] == 0x86 && b[i+1]&0x80 != 0 && b[i+3] == '_':
			video = video || b[i+2] == 'V'
			audio = audio || b[i+2] == 'A'
		case b[i] == 0x83 && b[i+1] == 0x81 && (b[i+2] == 1 || b[i+2] == 2):
			video = video || b[i+2] == 1
			audio = audio || b[i+2] == 2
		}
	}
	if audio && !video {
		return "audio/" + sub
	}
	return "video/" + sub
}

// sniffOgg looks at the first packet: Theora (or another video codec) makes
// a video, anything else (Vorbis, Opus, Speex, FLAC) audio.
func sniffOgg(b []byte) string {
	if len(b) < 27 {
		return "audio/ogg"
	}
	start := 27 + int(b[26])
	if start >= len(b) {
		return "audio/ogg"
	}
	pkt := b[start:]
	for _, sig := range [][]byte{[]byte("\x80theora"), []byte("\x80daala"), []byte("fishead\x00"), []byte("\x01video\x00\x00\x00")} {
		if bytes.HasPrefix(pkt, sig) {
			return "video/ogg"
		}
	}
	return "audio/ogg"
}

// sniffMPEGAudio checks a frame header: MP3 (layers I-III) or ADTS AAC.
func sniffMPEGAudio(b []byte) string {
	version := b[1] >> 3 & 3
	layer := b[1] >> 1 & 3
	if layer == 0 {
		if b[1]&0xF6 == 0xF0 && b[2]>>2&0xF < 13 { // ADTS: sampling index 0-12
			return "audio/aac"
		}
		return ""
	}
	bitrate, rate := b[2]>>4, b[2]>>2&3
	if version == 1 || bitrate == 0 || bitrate == 15 || rate == 3 {
		return ""
	}
	return "audio/mpeg"
}

func isSVG(head []byte) bool {
	s := bytes.ToLower(head)
	return bytes.Contains(s, []byte("<svg"))
}

// refineByName gives common formats that sniff as a generic container their
// own type, when the name agrees. Such files are only ever downloaded.
func refineByName(ct, filename string) string {
	ext := strings.ToLower(path.Ext(SanitizeFilename(filename)))
	mt, _, _ := mime.ParseMediaType(ct)
	var byExt map[string]string
	switch mt {
	case "application/zip":
		byExt = zipTypes
	case "text/plain":
		byExt = textTypes
	}
	if t, ok := byExt[ext]; ok {
		return t
	}
	return ct
}

var zipTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
	".epub": "application/epub+zip",
}

var textTypes = map[string]string{
	".csv":  "text/csv; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".json": "application/json",
	".vcf":  "text/vcard; charset=utf-8",
	".ics":  "text/calendar; charset=utf-8",
}

// jpegRotated reports whether a JPEG's EXIF orientation (5-8) turns it by
// 90°, so that it displays with width and height swapped.
func jpegRotated(b []byte) bool {
	o := jpegOrientation(b)
	return o >= 5 && o <= 8
}

// jpegOrientation finds the EXIF Orientation tag (0x0112) in the APP1
// segment, if that segment lies within b; 0 if there is none.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 0
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		seg := b[i+4 : min(len(b), i+2+n)]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[ifd:]))
	for e := 0; e < count; e++ {
		at := ifd + 2 + 12*e
		if at+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[at:]) == 0x0112 {
			return int(bo.Uint16(t[at+8:]))
		}
	}
	return 0
}
