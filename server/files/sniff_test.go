package files

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// webpHeader is a lossless WebP header, all image.DecodeConfig reads.
func webpHeader(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+8+5+1))
	b.WriteString("WEBPVP8L")
	_ = binary.Write(&b, binary.LittleEndian, uint32(5+1))
	b.WriteByte(0x2f)
	_ = binary.Write(&b, binary.LittleEndian, uint32(w-1)|uint32(h-1)<<14)
	b.WriteByte(0)
	return b.Bytes()
}

// withExifOrientation inserts an APP1 segment with the Orientation tag after
// a JPEG's SOI marker.
func withExifOrientation(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	_ = binary.Write(&tiff, binary.BigEndian, uint32(8)) // IFD0 offset
	_ = binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	_ = binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})
	_ = binary.Write(&tiff, binary.BigEndian, uint32(1))
	_ = binary.Write(&tiff, binary.BigEndian, []uint16{orientation, 0})
	_ = binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestDescribeImages(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		ct   string
		w, h int
	}{
		{"png", encoded(t, "png", 30, 20), "image/png", 30, 20},
		{"jpeg", encoded(t, "jpeg", 30, 20), "image/jpeg", 30, 20},
		{"gif", encoded(t, "gif", 30, 20), "image/gif", 30, 20},
		{"webp", webpHeader(30, 20), "image/webp", 30, 20},
		{"jpeg rotated", withExifOrientation(encoded(t, "jpeg", 30, 20), 6), "image/jpeg", 20, 30},
		{"jpeg upright exif", withExifOrientation(encoded(t, "jpeg", 30, 20), 1), "image/jpeg", 30, 20},
	}
	for _, c := range cases {
		info, err := Describe(bytes.NewReader(c.data), "picture.exe")
		if err != nil {
			t.Fatal(err)
		}
		if info != (Info{ContentType: c.ct, Kind: KindImage, Width: c.w, Height: c.h}) {
			t.Errorf("%s: %+v", c.name, info)
		}
	}
	// A PNG signature on garbage is not an image.
	broken := append([]byte("\x89PNG\x0d\x0a\x1a\x0a"), make([]byte, 100)...)
	if info, _ := Describe(bytes.NewReader(broken), "x.png"); info.Kind != KindFile || info.ContentType != "application/octet-stream" {
		t.Errorf("broken png: %+v", info)
	}
}

func ebml(doctype string, extra ...byte) []byte {
	b := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x80 | byte(len(doctype))}
	b = append(b, doctype...)
	b = append(b, 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF) // Segment, unknown size
	return append(b, extra...)
}

func codecID(id string) []byte { return append([]byte{0x86, 0x80 | byte(len(id))}, id...) }

func ogg(packet string) []byte {
	b := []byte("OggS\x00\x02")
	b = append(b, make([]byte, 20)...) // granule, serial, sequence, checksum
	b = append(b, 1, byte(len(packet)))
	return append(b, packet...)
}

func ftyp(major string, compatible ...string) []byte {
	body := major + "\x00\x00\x02\x00" + strings.Join(compatible, "")
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, "ftyp"...), body...)
}

func TestDescribeMedia(t *testing.T) {
	pad := make([]byte, 600)
	cases := []struct {
		name string
		data []byte
		ct   string
		kind Kind
	}{
		{"mp4", ftyp("isom", "isom", "iso2", "avc1", "mp41"), "video/mp4", KindVideo},
		{"mp4 without mp4 brand", ftyp("iso5", "iso5", "dash"), "video/mp4", KindVideo},
		{"m4a", ftyp("M4A ", "M4A ", "mp42", "isom"), "audio/mp4", KindAudio},
		{"mov", ftyp("qt  ", "qt  "), "video/quicktime", KindVideo},
		{"3gp", ftyp("3gp4", "isom", "3gp4"), "video/3gpp", KindVideo},
		{"heic", ftyp("heic", "mif1", "heic"), "image/heic", KindFile},
		{"webm video", ebml("webm", append(codecID("V_VP8"), codecID("A_OPUS")...)...), "video/webm", KindVideo},
		{"webm voice note", ebml("webm", append([]byte{0x83, 0x81, 0x02}, codecID("A_OPUS")...)...), "audio/webm", KindAudio},
		{"mkv", ebml("matroska", codecID("V_MPEG4/ISO/AVC")...), "video/x-matroska", KindVideo},
		{"webm unknown tracks", ebml("webm"), "video/webm", KindVideo},
		{"ogg opus", ogg("OpusHead\x01\x02"), "audio/ogg", KindAudio},
		{"ogg vorbis", ogg("\x01vorbis\x00\x00"), "audio/ogg", KindAudio},
		{"ogg theora", ogg("\x80theora\x03\x02"), "video/ogg", KindVideo},
		{"mp3 with id3", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), pad...), "audio/mpeg", KindAudio},
		{"mp3 frame", append([]byte{0xFF, 0xFB, 0x90, 0x64}, pad...), "audio/mpeg", KindAudio},
		{"aac adts", append([]byte{0xFF, 0xF1, 0x50, 0x80}, pad...), "audio/aac", KindAudio},
		{"wav", append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), pad...), "audio/wav", KindAudio},
		{"flac", []byte("fLaC\x00\x00\x00\x22"), "audio/flac", KindAudio},
		{"amr", []byte("#!AMR\n"), "audio/amr", KindAudio},
		{"avi", append([]byte("RIFF\x24\x00\x00\x00AVI LIST"), pad...), "video/avi", KindVideo},
	}
	for _, c := range cases {
		info, err := Describe(bytes.NewReader(c.data), "")
		if err != nil {
			t.Fatal(err)
		}
		if info.ContentType != c.ct || info.Kind != c.kind || info.Width != 0 {
			t.Errorf("%s: %+v, want %s %s", c.name, info, c.ct, c.kind)
		}
	}
}

func TestDescribeFilesIgnoresClientName(t *testing.T) {
	cases := []struct {
		name, filename string
		data           []byte
		ct             string
	}{
		{"html named as image", "cat.png", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "text/html; charset=utf-8"},
		{"svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "image/svg+xml"},
		{"svg with xml declaration", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml"},
		{"text as mp3", "song.mp3", []byte("just some notes"), "text/plain; charset=utf-8"},
		{"utf-16 text is not mp3", "a.txt", []byte("\xff\xfeH\x00i\x00"), "text/plain; charset=utf-16le"},
		{"csv", "report.csv", []byte("a,b\n1,2\n"), "text/csv; charset=utf-8"},
		{"docx", "Letter.DOCX", []byte("PK\x03\x04rest"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"zip named html", "x.html", []byte("PK\x03\x04rest"), "application/zip"},
		{"pdf", "a.pdf", []byte("%PDF-1.7\n"), "application/pdf"},
		{"binary named jpg", "x.jpg", []byte{0, 1, 2, 3, 4}, "application/octet-stream"},
		{"empty", "x.png", nil, "text/plain; charset=utf-8"},
	}
	for _, c := range cases {
		info, err := Describe(bytes.NewReader(c.data), c.filename)
		if err != nil {
			t.Fatal(err)
		}
		if info.ContentType != c.ct || info.Kind != KindFile {
			t.Errorf("%s: %+v, want %s", c.name, info, c.ct)
		}
	}
}
