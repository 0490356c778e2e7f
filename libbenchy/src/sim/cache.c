/*
 * cache.c — the simulated prefix cache: a set of block hashes with least-
 * recently-used eviction and a fixed upper size.
 *
 * Each key is the hash of a whole prompt prefix up to a 16-token block
 * boundary (computed by routes.c), so "the first k blocks are cached" is k
 * independent lookups, and two prompts share cache entries exactly as far as
 * their token prefixes agree. Keys are already well mixed, so their low bits
 * index the table directly. Memory grows with use, up to the bound.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define NIL UINT32_MAX

struct sim_cache_node {
  uint64_t key;
  uint32_t prev, next;
};

void sim_cache_init(sim_cache *c, size_t max_blocks) {
  memset(c, 0, sizeof *c);
  c->max = max_blocks ? max_blocks : 1;
  c->head = c->tail = NIL;
}

void sim_cache_free(sim_cache *c) {
  free(c->nodes);
  free(c->table);
  size_t max = c->max;
  sim_cache_init(c, max);
}

static size_t find_slot(const sim_cache *c, uint64_t key) {
  size_t i = (size_t)key & c->table_mask;
  while (c->table[i] != NIL) {
    if (c->nodes[c->table[i]].key == key) return i;
    i = (i + 1) & c->table_mask;
  }
  return i; /* the empty slot where key would go */
}

static void unlink_node(sim_cache *c, uint32_t n) {
  struct sim_cache_node *x = &c->nodes[n];
  if (x->prev != NIL) c->nodes[x->prev].next = x->next;
  else c->head = x->next;
  if (x->next != NIL) c->nodes[x->next].prev = x->prev;
  else c->tail = x->prev;
}

static void push_front(sim_cache *c, uint32_t n) {
  struct sim_cache_node *x = &c->nodes[n];
  x->prev = NIL;
  x->next = c->head;
  if (c->head != NIL) c->nodes[c->head].prev = n;
  c->head = n;
  if (c->tail == NIL) c->tail = n;
}

/* Deleting from linear probing: later entries of the same probe run shift
 * back so that no lookup stops early at the hole. */
static void delete_slot(sim_cache *c, size_t p) {
  size_t j = p;
  c->table[p] = NIL;
  for (;;) {
    j = (j + 1) & c->table_mask;
    if (c->table[j] == NIL) return;
    size_t home = (size_t)c->nodes[c->table[j]].key & c->table_mask;
    int stays = (p <= j) ? (home > p && home <= j) : (home > p || home <= j);
    if (!stays) {
      c->table[p] = c->table[j];
      c->table[j] = NIL;
      p = j;
    }
  }
}

static int grow(sim_cache *c) {
  size_t cap = c->cap ? c->cap * 2 : 1024;
  if (cap > c->max) cap = c->max;
  if (cap <= c->cap) return -1;
  struct sim_cache_node *nodes = realloc(c->nodes, cap * sizeof *nodes);
  if (!nodes) return -1;
  c->nodes = nodes;
  size_t tsize = 1;
  while (tsize < cap * 2) tsize <<= 1;
  uint32_t *table = malloc(tsize * sizeof *table);
  if (!table) return -1; /* nodes stays larger; harmless */
  memset(table, 0xFF, tsize * sizeof *table);
  free(c->table);
  c->table = table;
  c->table_mask = tsize - 1;
  c->cap = cap;
  for (uint32_t n = 0; n < c->count; n++) c->table[find_slot(c, c->nodes[n].key)] = n;
  return 0;
}

/* Blocks are touched and inserted last to first, so that a prompt's first
 * block is its most recently used: eviction takes a prefix's tail before
 * its head (as vLLM frees a finished request's blocks), and a lookup, which
 * stops at the first miss, never finds a prefix cut off at the front while
 * its deeper blocks still hold space. */
size_t sim_cache_lookup(sim_cache *c, const uint64_t *blocks, size_t n) {
  size_t hits = 0;
  if (!c->table) return 0;
  while (hits < n && c->table[find_slot(c, blocks[hits])] != NIL) hits++;
  for (size_t i = hits; i-- > 0;) {
    uint32_t node = c->table[find_slot(c, blocks[i])];
    unlink_node(c, node);
    push_front(c, node);
  }
  return hits;
}

void sim_cache_insert(sim_cache *c, const uint64_t *blocks, size_t n) {
  for (size_t i = n; i-- > 0;) {
    uint64_t key = blocks[i];
    if (c->table) {
      size_t slot = find_slot(c, key);
      if (c->table[slot] != NIL) {
        unlink_node(c, c->table[slot]);
        push_front(c, c->table[slot]);
        continue;
      }
    }
    uint32_t node;
    if (c->count == c->cap && grow(c) != 0 && c->count == 0) return; /* no memory at all */
    if (c->count < c->cap) {
      node = (uint32_t)c->count++;
    } else {
      node = c->tail;
      unlink_node(c, node);
      delete_slot(c, find_slot(c, c->nodes[node].key));
    }
    c->nodes[node].key = key;
    push_front(c, node);
    c->table[find_slot(c, key)] = node;
  }
}
