/*
 * prompt_words.c — the text of generated prompts: a seeded sentence
 * generator over a built-in word list (prompt.h, "Text"). No server is
 * involved; the same (seed, key) always gives the same text.
 *
 * Text is a stream of "units" (a word, or a '.' / ',' mark), each close to
 * one token in every common vocabulary, so a count in units is a good first
 * guess of a count in tokens.
 */
#include "prompt_words.h"

/* Short, common words: one token each (with their leading space) in GPT-2,
 * cl100k, Llama 3 and Qwen vocabularies, and in the simulator's tokenizer
 * (at most 8 letters). "Ready" is in none of them: it opens the context-fill
 * message, which must share no first token with a generated text. */
static const char *const w_det[] = {"the", "a", "every", "this", "that", "each", "our", "their", "one", "some"};
static const char *const w_adj[] = {
    "quiet",  "bright", "old",    "small",  "green",   "warm",   "heavy",  "simple", "early",
    "narrow", "gentle", "open",   "broad",  "silver",  "yellow", "distant", "ancient", "careful",
    "strong", "tired",  "busy",   "clean",  "dark",    "deep",   "empty",  "fresh",  "golden",
    "happy",  "honest", "hungry", "little", "lonely",  "lucky",  "modern", "patient", "proud",
    "rapid",  "rich",   "rough",  "round",  "royal",   "sharp",  "short",  "silent", "smooth",
    "soft",   "steady", "strange", "sudden", "sweet",  "tall",   "thick",  "tiny",   "wild",
    "wise",   "young",  "calm",   "cold",   "dry",     "fair",   "fine",   "free",   "great",
    "hard",   "high",   "large",  "long",   "loud",    "new",    "plain",  "quick",  "rare",
    "safe",   "slow",   "solid",  "thin",   "true",    "vast",   "wet",    "blue",   "red"};
static const char *const w_noun[] = {
    "river",  "garden",  "city",    "window", "teacher", "farmer",  "village", "mountain",
    "letter", "market",  "forest",  "bridge", "kitchen", "harbor",  "island",  "library",
    "station", "valley", "painter", "doctor", "table",   "engine",  "road",    "house",
    "child",  "friend",  "story",   "song",   "boat",    "train",   "horse",   "bird",
    "tree",   "stone",   "field",   "lake",   "door",    "wall",    "street",  "school",
    "family", "morning", "evening", "winter", "summer",  "light",   "voice",   "paper",
    "book",   "picture", "music",   "water",  "bread",   "coffee",  "rain",    "wind",
    "cloud",  "shadow",  "corner",  "hill",   "beach",   "ship",    "captain", "student",
    "writer", "baker",   "sister",  "brother", "mother", "father",  "neighbor", "stranger",
    "lamp",   "clock",   "map",     "key",    "box",     "basket",  "coat",    "glass",
    "wheel",  "tower",   "castle",  "temple", "office",  "room",    "floor",   "roof",
    "path",   "journey", "plan",    "idea",   "answer",  "question", "game",   "team"};
static const char *const w_verb[] = {
    "carried", "watched", "found",   "opened",  "followed", "built",   "crossed", "painted",
    "visited", "reached", "left",    "kept",    "held",     "moved",   "passed",  "turned",
    "joined",  "lifted",  "pulled",  "pushed",  "covered",  "filled",  "cleaned", "counted",
    "touched", "noticed", "answered", "named",  "saved",    "shared",  "started", "changed",
    "brought", "taught",  "bought",  "caught",  "chose",    "wrote",   "gave",    "made",
    "took",    "saw",     "met",     "lost",    "sold",     "told",    "sent",    "fixed",
    "packed",  "planted", "guarded", "showed",  "helped",   "called",  "loved",   "liked"};
static const char *const w_prep[] = {"near",   "across", "behind", "beside", "under",  "over",
                                     "above",  "along",  "around", "beyond", "inside", "through",
                                     "past",   "into",   "after",  "before", "during", "without",
                                     "within", "toward", "from",   "with"};
static const char *const w_conj[] = {"and", "but", "while", "because", "until", "so", "when", "although"};
static const char *const w_adv[] = {"slowly", "quietly", "often", "again", "later",  "soon",
                                    "always", "rarely",  "gladly", "calmly", "finally", "today"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Sentence shapes: D det, A adj, N noun, V verb, P prep, C conj, R adverb,
 * '.' and ',' marks. The first sentence of every text opens with an
 * adjective and a noun (about 7000 pairs) rather than a determiner, so that
 * two texts rarely share even their first token. */
static const char *const shapes[] = {
    "DANVDNPDAN.", "DNVPDN,CDANVDN.", "PDAN,DNRVDN.", "DANCDNVPDN.", "DNVDNR.",
    "DAN,PDN,VDAN.", "RDNVDANPDN.",
};
static const char *const opener = "ANVDANPDN.";

typedef struct gen_state {
  uint64_t rng;
  const char *shape; /* current sentence shape */
  size_t pos;        /* next slot in shape */
  int first_unit;    /* nothing emitted yet */
  int cap_next;      /* next word starts a sentence */
} gen_state;

static uint64_t mix_key(uint64_t seed, uint64_t domain, uint64_t key) {
  uint64_t s = seed ^ (domain * 0x9E3779B97F4A7C15ull);
  uint64_t a = benchy_rand_next(&s);
  s ^= key;
  return a ^ benchy_rand_next(&s);
}

static const char *pick(uint64_t *rng, const char *const *list, size_t n) {
  return list[benchy_rand_next(rng) % n];
}

/* Appends the next unit. */
static int gen_unit(gen_state *st, benchy_buf *b) {
  if (!st->shape || !st->shape[st->pos]) {
    st->shape = st->first_unit ? opener : shapes[benchy_rand_next(&st->rng) % N_OF(shapes)];
    st->pos = 0;
    st->cap_next = 1;
  }
  char slot = st->shape[st->pos++];
  if (slot == '.' || slot == ',') {
    st->first_unit = 0;
    return benchy_buf_append(b, &slot, 1);
  }
  const char *w;
  switch (slot) {
  case 'D': w = pick(&st->rng, w_det, N_OF(w_det)); break;
  case 'A': w = pick(&st->rng, w_adj, N_OF(w_adj)); break;
  case 'N': w = pick(&st->rng, w_noun, N_OF(w_noun)); break;
  case 'V': w = pick(&st->rng, w_verb, N_OF(w_verb)); break;
  case 'P': w = pick(&st->rng, w_prep, N_OF(w_prep)); break;
  case 'C': w = pick(&st->rng, w_conj, N_OF(w_conj)); break;
  default: w = pick(&st->rng, w_adv, N_OF(w_adv)); break;
  }
  if (!st->first_unit && benchy_buf_append(b, " ", 1)) return -1;
  size_t at = b->len;
  if (benchy_buf_append_str(b, w)) return -1;
  if (st->cap_next && b->data[at] >= 'a' && b->data[at] <= 'z') b->data[at] = (char)(b->data[at] - 32);
  st->cap_next = 0;
  st->first_unit = 0;
  return 0;
}

int prompt_gen_text(uint64_t seed, uint64_t domain, uint64_t key, int64_t units, benchy_buf *b) {
  gen_state st = {mix_key(seed, domain, key), NULL, 0, 1, 1};
  if (benchy_buf_reserve(b, (size_t)(units > 0 ? units : 0) * 8 + 1)) return -1;
  for (int64_t i = 0; i < units; i++)
    if (gen_unit(&st, b)) return -1;
  return benchy_buf_terminate(b);
}

int prompt_words(uint64_t seed, uint64_t key, int64_t n_words, benchy_buf *b) {
  return prompt_gen_text(seed, DOMAIN_NEW, key, n_words, b);
}
