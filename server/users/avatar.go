package users

import (
	"context"
	"errors"
	"io"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/files"
	"parley/server/history"
)

// MaxAvatarSize is the largest avatar image: 5 MiB.
const MaxAvatarSize = 5 << 20

// avatarTypes are the images an avatar may be, as sniffed: raster formats
// a browser shows in place and that cannot carry script.
var avatarTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true, "image/gif": true}

// UploadAvatar makes an image the caller's avatar: JPEG, PNG, WebP or GIF
// by its content (BAD_USER_INPUT, field file, otherwise), at most
// MaxAvatarSize (FILE_TOO_LARGE). The previous image is deleted. It
// consumes r.
func (s *Service) UploadAvatar(ctx context.Context, v *auth.Viewer, r io.Reader) (_ *ent.User, err error) {
	defer apperr.At("users.UploadAvatar", &err)
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	if err := colleague(v); err != nil {
		return nil, err
	}
	if s.Avatars == nil {
		return nil, errors.New("users: no avatar storage configured")
	}
	key := "avatars/" + files.NewKey(s.history.Now())
	if _, err := files.Store(ctx, s.Avatars, key, r, MaxAvatarSize); err != nil {
		return nil, err
	}
	// The request may be gone; a refused blob must go all the same.
	drop := func() { _ = s.Avatars.Delete(context.WithoutCancel(ctx), key) }
	info, err := files.Inspect(ctx, s.Avatars, key, "")
	if err != nil {
		drop()
		return nil, err
	}
	if !avatarTypes[info.ContentType] {
		drop()
		return nil, apperr.BadInput("an avatar must be a JPEG, PNG, WebP or GIF image").With("field", "file")
	}
	u, old, err := s.setAvatar(ctx, v, &key, &info.ContentType)
	if err != nil {
		drop()
		return nil, err
	}
	s.deleteAvatar(ctx, old)
	return u, nil
}

// RemoveAvatar removes the caller's avatar.
func (s *Service) RemoveAvatar(ctx context.Context, v *auth.Viewer) (_ *ent.User, err error) {
	defer apperr.At("users.RemoveAvatar", &err)
	if err := colleague(v); err != nil {
		return nil, err
	}
	u, old, err := s.setAvatar(ctx, v, nil, nil)
	if err == nil {
		s.deleteAvatar(ctx, old)
	}
	return u, err
}

// setAvatar stores the avatar's key and type (nil to remove it) and tells
// colleagues; it returns the previous key.
func (s *Service) setAvatar(ctx context.Context, v *auth.Viewer, key, contentType *string) (u *ent.User, old *string, err error) {
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		cur, err := s.lockUser(ctx, tx, v.UserID, "file")
		if err != nil {
			return err
		}
		old = cur.AvatarKey
		up := tx.User.UpdateOneID(v.UserID)
		if key == nil {
			up.ClearAvatarKey().ClearAvatarContentType()
		} else {
			up.SetAvatarKey(*key).SetAvatarContentType(*contentType)
		}
		if u, err = up.Save(ctx); err != nil {
			return err
		}
		if old != nil || key != nil {
			tx.Emit(history.UserUpdatedEvent(v.UserID))
		}
		return nil
	})
	return u, old, err
}

func (s *Service) deleteAvatar(ctx context.Context, key *string) {
	if key != nil && s.Avatars != nil {
		_ = s.Avatars.Delete(context.WithoutCancel(ctx), *key)
	}
}

// Avatar is what the avatar download serves.
func (s *Service) Avatar(ctx context.Context, id string) (files.Meta, error) {
	u, err := s.db.User.Get(ctx, pulid.ID(id))
	if ent.IsNotFound(err) || (err == nil && u.AvatarKey == nil) {
		return files.Meta{}, apperr.Missing("no such avatar")
	}
	if err != nil {
		return files.Meta{}, err
	}
	ct := ""
	if u.AvatarContentType != nil {
		ct = *u.AvatarContentType
	}
	return files.Meta{Key: *u.AvatarKey, Filename: "avatar", ContentType: ct}, nil
}
