package db

import "context"

// MigrateUpTo applies the migrations up to version, for tests of what a
// migration does to the rows already there.
func (d *DB) MigrateUpTo(ctx context.Context, version int64) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
