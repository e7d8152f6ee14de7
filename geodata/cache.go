package geodata

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// DefaultTileCacheBytes is the budget of the cache that NewLayer creates
// when LayerOptions.Cache is nil: 96 MiB, about 380 tiles of 256x256 RGBA,
// several full-HD screens' worth.
const DefaultTileCacheBytes = 96 << 20

// TileCache is a least-recently-used cache of decoded, styled tiles, bounded
// in bytes. Several layers may share one. Concurrent requests for the same
// missing tile decode it once. It is safe for concurrent use.
//
// NOTE: a render keeps the tiles of its view alive until it returns, so
// memory can exceed the budget by one screen's tiles while a view larger
// than the budget is drawn.
type TileCache struct {
	maxBytes int64

	mu       sync.Mutex
	bytes    int64
	order    *list.List // front = most recently used; values are *cacheEntry
	entries  map[tileKey]*list.Element
	inflight map[tileKey]*tileLoad

	hits, misses, evictions atomic.Int64
}

// tileKey names a tile: the layer's cache namespace, the resolution level
// (0 = full resolution, n = 2^n source pixels per tile pixel) and the tile
// column and row at that level.
type tileKey struct {
	layer         uint64
	level, tx, ty int
}

type cacheEntry struct {
	key  tileKey
	tile *tile
}

type tileLoad struct {
	done chan struct{}
	tile *tile
	err  error
}

// CacheStats are a TileCache's counters.
type CacheStats struct {
	Bytes, MaxBytes         int64
	Tiles                   int
	Hits, Misses, Evictions int64
}

// NewTileCache returns a cache that holds at most maxBytes of tile pixels.
func NewTileCache(maxBytes int64) *TileCache {
	return &TileCache{
		maxBytes: maxBytes,
		order:    list.New(),
		entries:  map[tileKey]*list.Element{},
		inflight: map[tileKey]*tileLoad{},
	}
}

// Stats returns the cache's current size and counters.
func (c *TileCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Bytes: c.bytes, MaxBytes: c.maxBytes, Tiles: len(c.entries),
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
	}
}

// get returns the cached tile for key, or calls load once for all
// concurrent callers and caches its result.
func (c *TileCache) get(key tileKey, load func() (*tile, error)) (*tile, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		c.hits.Add(1)
		return el.Value.(*cacheEntry).tile, nil
	}
	if pending, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-pending.done
		return pending.tile, pending.err
	}
	pending := &tileLoad{done: make(chan struct{})}
	c.inflight[key] = pending
	c.mu.Unlock()
	c.misses.Add(1)

	pending.tile, pending.err = load()

	c.mu.Lock()
	delete(c.inflight, key)
	if pending.err == nil {
		c.insertLocked(key, pending.tile)
	}
	c.mu.Unlock()
	close(pending.done)
	return pending.tile, pending.err
}

func (c *TileCache) insertLocked(key tileKey, t *tile) {
	size := t.bytes()
	if size > c.maxBytes {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, tile: t})
	c.bytes += size
	for c.bytes > c.maxBytes {
		oldest := c.order.Back()
		c.removeLocked(oldest)
		c.evictions.Add(1)
	}
}

func (c *TileCache) removeLocked(el *list.Element) {
	entry := el.Value.(*cacheEntry)
	c.order.Remove(el)
	delete(c.entries, entry.key)
	c.bytes -= entry.tile.bytes()
}

// dropLayer removes every tile of one layer namespace.
func (c *TileCache) dropLayer(layer uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cacheEntry).key.layer == layer {
			c.removeLocked(el)
		}
		el = next
	}
}

// tile is a styled block of a raster at one resolution level: premultiplied
// RGBA pixels covering the source window win, resampled to width x height.
type tile struct {
	win           Window
	width, height int
	pix           []uint8 // 4 bytes per pixel, row-major, premultiplied alpha
}

func (t *tile) bytes() int64 { return int64(len(t.pix)) + 64 }
