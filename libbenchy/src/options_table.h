/*
 * The one option table. Every option of every command is one row here; the
 * CLI's parser and --help, the Lua and Python bindings all read it. Adding
 * an option is adding a row (and reading it where it is used).
 *
 * Row: X(name, type, commands, default, min, max, choices, metavar, group, help, flags, alias_of)
 * min > max means unbounded.
 *
 * The command lines users bring from vllm bench serve, llama-benchy and
 * llama-bench are rows too: an alias row (BENCHY_OPTF_ALIAS) may carry a
 * "given=sent|..." map in its choices column (--backend openai-chat sets
 * --api chat); a one-letter name is a short flag (-p); rows may share a name
 * when the value's shape tells them apart (--endpoint URL vs --endpoint /PATH,
 * BENCHY_OPTF_IF_PATH). The other value-shape rules are flags in options.h.
 * A group named after a command ("bench") is shown, in another command's
 * --help, under that command's own heading. What writers and comparisons do
 * with a value is a flag too: BENCHY_OPTF_OUTPUT_ONLY (not part of what
 * identifies a run), BENCHY_OPTF_SECRET / BENCHY_OPTF_HEADER_SECRET (never
 * written); a default per command is "bench=X|load=Y" with
 * BENCHY_OPTF_PER_COMMAND_DEFAULT.
 */
#ifndef BENCHY_OPTIONS_TABLE_H
#define BENCHY_OPTIONS_TABLE_H

#define S_ BENCHY_CMD_SIM
#define B_ BENCHY_CMD_BENCH
#define L_ BENCHY_CMD_LOAD
#define R_ BENCHY_CMD_RUN
#define M_ BENCHY_CMD_META
#define CLIENT_ (B_ | L_ | R_)
#define CMP_ BENCHY_CMD_COMPARE
#define TBL_ BENCHY_CMD_TABLE
#define MTX_ BENCHY_CMD_MATRIX
#define RPT_ BENCHY_CMD_REPORT

#define BENCHY_OPTION_TABLE(X)                                                                     \
  /* ---- server connection (clients) ---- */                                                     \
  X("base-url", BENCHY_OPT_STRING, CLIENT_ | M_, "http://127.0.0.1:8090/v1", 1, 0, NULL, "URL",         \
    "server", "OpenAI API base URL. A server root with no path (http://host:8000, as vllm bench "  \
    "serve takes it) gets /v1.", BENCHY_OPTF_URL_ROOT_PATH, NULL)                                  \
  X("endpoint", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "URL", "server",                      \
    "llama-benchy's meaning, a URL: the server root (http://host:port; /v1 is appended) or the "  \
    "API base URL, as --base-url.", BENCHY_OPTF_ALIAS, "base-url")                                 \
  X("endpoint", BENCHY_OPT_CHOICE, CLIENT_, NULL, 1, 0,                                             \
    "/v1/completions=completions|/v1/chat/completions=chat", "PATH", "server",                      \
    "vllm bench serve's meaning, a path (it starts with /): the API to call on the server, as "   \
    "--api.", BENCHY_OPTF_ALIAS | BENCHY_OPTF_IF_PATH, "api")                                      \
  X("backend", BENCHY_OPT_CHOICE, CLIENT_, NULL, 1, 0,                                              \
    "vllm=completions|openai=completions|openai-chat=chat|sglang=completions|"                     \
    "lmdeploy=completions|scalellm=completions", "NAME", "server",                                 \
    "vllm bench serve's backend: openai-chat calls the chat API (--api chat), the others the "    \
    "completions API, as vLLM does for them.", BENCHY_OPTF_ALIAS, "api")                           \
  X("model", BENCHY_OPT_STRING, CLIENT_ | S_, NULL, 1, 0, NULL, "NAME", "server",                   \
    "Model name sent in requests (sim: the name it serves; default \"sim\"). Clients ask the "     \
    "server's /v1/models when unset.", 0, NULL)                                                    \
  X("m", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "NAME", "server",                            \
    "llama-bench's -m: alias of --model (the name the server knows, not a file).",                \
    BENCHY_OPTF_ALIAS, "model")                                                                    \
  X("tokenizer", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "NAME", "server",                    \
    "Accepted from vllm bench serve and llama-benchy command lines, and recorded in the result; " \
    "benchy loads no tokenizer: it counts tokens with the server's own (usage, /tokenize).", BENCHY_OPTF_OUTPUT_ONLY,   \
    NULL)                                                                                          \
  X("served-model-name", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "NAME", "server",            \
    "Name shown in results when it differs from --model.", 0, NULL)                                \
  X("api-key-env", BENCHY_OPT_STRING, CLIENT_ | M_, "OPENAI_API_KEY", 1, 0, NULL, "VAR", "server",       \
    "Environment variable holding the API key (--api-key, when given, wins). The key is never "   \
    "written anywhere.", 0, NULL)                                                                  \
  X("api-key", BENCHY_OPT_STRING, CLIENT_ | M_, NULL, 1, 0, NULL, "KEY", "server",                      \
    "The API key itself, sent as 'Authorization: Bearer KEY'; wins over --api-key-env. Never "    \
    "written anywhere (results, --jsonl, errors), but visible to other users in the process "     \
    "list: prefer --api-key-env on a shared machine.", BENCHY_OPTF_SECRET, NULL)                   \
  X("header", BENCHY_OPT_STRING_LIST, CLIENT_ | M_, NULL, 1, 0, NULL, "'NAME: VALUE'", "server",         \
    "Extra HTTP header (repeatable). Values are never written to results.",                       \
    BENCHY_OPTF_HEADER_SECRET, NULL)                                                               \
  X("host", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "ADDR", "server",                         \
    "vllm bench serve's --host: the server's address, put into --base-url (whose port and path "  \
    "stay).", BENCHY_OPTF_URL_PART, "base-url")                                                    \
  X("port", BENCHY_OPT_INT, CLIENT_, NULL, 1, 65535, NULL, "PORT", "server",                        \
    "vllm bench serve's --port: the server's port, put into --base-url.", BENCHY_OPTF_URL_PART,   \
    "base-url")                                                                                    \
  X("api", BENCHY_OPT_CHOICE, CLIENT_, "chat", 1, 0, "chat|completions", "API", "server",           \
    "Endpoint: /v1/chat/completions or /v1/completions.", 0, NULL)                                \
  X("timeout", BENCHY_OPT_DOUBLE, CLIENT_ | M_, "600", 0, 1e7, NULL, "SECONDS", "server",               \
    "Whole-request timeout in seconds (0: none).", 0, NULL)                                        \
  X("probe-timeout", BENCHY_OPT_DOUBLE, CLIENT_ | M_, "10", 0, 1e7, NULL, "SECONDS", "server",         \
    "Timeout of each auxiliary request that checks the server or sizes prompts (/v1/models, "     \
    "/tokenize, /apply-template, /props, the latency probe; at most --timeout): one that gets no " \
    "answer in time stops the run, naming it (0: only --timeout bounds them).", 0, NULL)          \
  /* ---- request body (bench and load): unset ones are not sent ---- */                          \
  X("temperature", BENCHY_OPT_DOUBLE, B_ | L_, NULL, 0, 1e3, NULL, "T", "request",                 \
    "Sampling temperature sent in every request (unset: not sent, the server's default applies; " \
    "the result records it when the server reports it).", 0, NULL)                                 \
  X("top-p", BENCHY_OPT_DOUBLE, B_ | L_, NULL, 0, 1, NULL, "P", "request",                         \
    "Nucleus sampling top_p sent in every request (unset: the server's default).", 0, NULL)        \
  X("top-k", BENCHY_OPT_INT, B_ | L_, NULL, -1, 1e9, NULL, "K", "request",                         \
    "top_k sent in every request (0 or -1 disable it on most servers; unset: the server's "        \
    "default).", 0, NULL)                                                                          \
  X("min-p", BENCHY_OPT_DOUBLE, B_ | L_, NULL, 0, 1, NULL, "P", "request",                         \
    "min_p sent in every request (unset: the server's default).", 0, NULL)                         \
  X("sampling-seed", BENCHY_OPT_INT, B_ | L_, NULL, 0, 9007199254740991.0, NULL, "N", "request",   \
    "The server's sampling seed, sent as \"seed\" in every request. Not --seed, which seeds "      \
    "benchy's own prompts and lengths and is never sent (unset: the server's default).", 0, NULL) \
  X("extra-body", BENCHY_OPT_STRING, B_ | L_, NULL, 1, 0, NULL, "JSON", "request",                 \
    "A JSON object merged into every request, e.g. '{\"timings_per_token\": true}'. Fields "      \
    "benchy sets to measure (model, messages/prompt, max_tokens, min_tokens, n_predict, "         \
    "ignore_eos, cache_prompt, stream: false, n > 1) are refused with the option to use instead; " \
    "a sampling field also given by its option is refused.", 0, NULL)                              \
  X("ignore-eos", BENCHY_OPT_FLAG, L_, NULL, 1, 0, NULL, NULL, "request",                          \
    "Make every request generate exactly its output length, whatever the text (ignore_eos, "      \
    "min_tokens, n_predict, as bench always does). Random and prefix datasets send ignore_eos "  \
    "anyway.", 0, NULL)                                                                            \
  /* ---- bench matrix ---- */                                                                     \
  X("pp", BENCHY_OPT_INT_LIST, B_, "512", 0, 1e9, NULL, "N[,N...]", "bench",                       \
    "Prompt lengths in tokens to time (pp tests); 0: no pp test, tg tests only (llama-bench's "    \
    "-p 0).", 0, NULL)                                                                             \
  X("prompt-length", BENCHY_OPT_INT_LIST, B_, NULL, 0, 1e9, NULL, "N[,N...]", "bench",             \
    "Alias of --pp.", BENCHY_OPTF_ALIAS, "pp")                                                     \
  X("p", BENCHY_OPT_INT_LIST, B_, NULL, 0, 1e9, NULL, "N[,N...]", "bench",                         \
    "llama-bench's -p: alias of --pp.", BENCHY_OPTF_ALIAS, "pp")                                   \
  X("tg", BENCHY_OPT_INT_LIST, B_, "128", 0, 1e9, NULL, "N[,N...]", "bench",                       \
    "Generation lengths in tokens (tg tests); 0: no tg test, pp tests only (llama-bench's "        \
    "-n 0).", 0, NULL)                                                                             \
  X("output-lengths", BENCHY_OPT_INT_LIST, B_, NULL, 0, 1e9, NULL, "N[,N...]", "bench",            \
    "Alias of --tg.", BENCHY_OPTF_ALIAS, "tg")                                                     \
  X("n", BENCHY_OPT_INT_LIST, B_, NULL, 0, 1e9, NULL, "N[,N...]", "bench",                         \
    "llama-bench's -n: alias of --tg.", BENCHY_OPTF_ALIAS, "tg")                                   \
  X("depth", BENCHY_OPT_INT_LIST, B_, "0", 0, 1e9, NULL, "N[,N...]", "bench",                      \
    "Context depths in tokens (the @ dN rows).", 0, NULL)                                          \
  X("d", BENCHY_OPT_INT_LIST, B_, NULL, 0, 1e9, NULL, "N[,N...]", "bench",                         \
    "llama-bench's -d: alias of --depth.", BENCHY_OPTF_ALIAS, "depth")                             \
  X("depth-mode", BENCHY_OPT_CHOICE, B_, "cached", 1, 0, "cached|resend", "MODE", "bench",          \
    "cached: llama-bench's meaning, the depth is sent untimed first and only the new tokens are " \
    "timed; resend: llama-benchy's, depth+pp re-sent and all divided by the prefill time.", 0,    \
    NULL)                                                                                          \
  X("runs", BENCHY_OPT_INT, B_, "5", 1, 1e6, NULL, "N", "bench",                                   \
    "Repetitions of each test.", 0, NULL)                                                          \
  X("num-requests", BENCHY_OPT_INT, B_, NULL, 1, 1e6, NULL, "N", "bench", "Alias of --runs.",      \
    BENCHY_OPTF_ALIAS, "runs")                                                                     \
  X("r", BENCHY_OPT_INT, B_, NULL, 1, 1e6, NULL, "N", "bench", "llama-bench's -r: alias of --runs.", \
    BENCHY_OPTF_ALIAS, "runs")                                                                     \
  X("concurrency", BENCHY_OPT_INT_LIST, B_ | L_, "1", 1, 1e6, NULL, "N[,N...]", "bench",           \
    "Concurrent requests (a list sweeps). load: closed-loop levels, or the per-level limit when " \
    "a --request-rate is given.", 0, NULL)  \
  X("warmup", BENCHY_OPT_INT, B_ | L_, "1", 0, 1e6, NULL, "N", "bench",                            \
    "Warm-up requests before measuring (excluded from results, within the concurrency limit).", \
    0, NULL)                                                                                       \
  X("no-warmup", BENCHY_OPT_FLAG, B_ | L_, NULL, 1, 0, NULL, NULL, "bench", "Same as --warmup 0.", \
    0, NULL)                                                                                       \
  X("no-cache", BENCHY_OPT_FLAG, B_ | L_, NULL, 1, 0, NULL, NULL, "bench",                          \
    "Ask the server not to reuse its prompt cache (cache_prompt: false).", 0, NULL)                \
  X("latency-mode", BENCHY_OPT_CHOICE, B_, "api", 1, 0, "api|generation|none", "MODE", "bench",     \
    "How network latency is measured for est_ppt: api (GET /v1/models round trip), generation "   \
    "(a 1-token request), none.", 0, NULL)                                                         \
  X("stddev", BENCHY_OPT_CHOICE, B_ | L_, "bench=sample|load=population", 1, 0,                    \
    "sample|population", "KIND", "output",                                                         \
    "Standard deviation: sample (N-1) or population (N); bench's default is sample, as "           \
    "llama-bench; load's population, as vLLM and SGLang.", BENCHY_OPTF_PER_COMMAND_DEFAULT, NULL)  \
  /* ---- load ---- */                                                                             \
  X("request-rate", BENCHY_OPT_DOUBLE_LIST, L_, "inf", 1e-9, 1e12, NULL, "RPS|inf[,...]", "load",  \
    "Requests per second (a list sweeps); inf sends all at once, bounded by --max-concurrency.",  \
    BENCHY_OPTF_INF, NULL)                                                                         \
  X("arrival", BENCHY_OPT_CHOICE, L_, "poisson", 1, 0, "poisson|gamma|constant", "KIND", "load",    \
    "Inter-arrival distribution.", 0, NULL)                                                        \
  X("burstiness", BENCHY_OPT_DOUBLE, L_, "1", 1e-6, 1e6, NULL, "K", "load",                        \
    "Gamma shape: 1 = Poisson, <1 burstier, >1 more regular (implies --arrival gamma).", 0, NULL)  \
  X("max-concurrency", BENCHY_OPT_INT, L_, NULL, 1, 1e7, NULL, "N", "load",                        \
    "Most requests in flight; later arrivals wait (and the wait is reported).", 0, NULL)           \
  X("num-prompts", BENCHY_OPT_INT, L_, "100", 1, 1e9, NULL, "N", "load",                           \
    "Requests to send per level.", 0, NULL)                                                        \
  X("duration", BENCHY_OPT_DOUBLE, L_ | R_, NULL, 0, 1e9, NULL, "SECONDS", "load",                 \
    "Send for this long instead of a fixed --num-prompts (run: instead of --iterations).", 0,     \
    NULL)                               \
  X("repeat-prompts", BENCHY_OPT_FLAG, L_, NULL, 1, 0, NULL, NULL, "load",                          \
    "Send the seed's own prompt texts, the same on every run, cycled when --duration needs "      \
    "more than --num-prompts (measures a warm prompt cache). Default: every prompt is new to "    \
    "the server, in every run.", 0, NULL)                                                          \
  X("prompt-nonce", BENCHY_OPT_INT, L_, NULL, 0, 9007199254740991.0, NULL, "N", "load",             \
    "Make the exact prompt texts of an earlier run again (its metadata.prompts.nonce); default: " \
    "a new nonce per run, so the server has not seen the texts.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                        \
  X("ramp-up", BENCHY_OPT_DOUBLE, L_ | R_, "0", 0, 1e9, NULL, "SECONDS", "load",                   \
    "Raise the rate linearly from 0 over this long (run --users: start the users evenly over "   \
    "it).", 0, NULL)                                     \
  X("dataset", BENCHY_OPT_CHOICE, L_, "random", 1, 0, "random|sharegpt|jsonl|prefix", "KIND",       \
    "load", "Where prompts come from.", 0, NULL)                                                   \
  X("dataset-name", BENCHY_OPT_CHOICE, L_, NULL, 1, 0,                                              \
    "random=random|sharegpt=sharegpt|custom=jsonl|prefix_repetition=prefix", "NAME", "load",       \
    "vllm bench serve's name for --dataset (custom: --dataset jsonl; prefix_repetition: "         \
    "--dataset prefix).", BENCHY_OPTF_ALIAS, "dataset")                                            \
  X("dataset-path", BENCHY_OPT_STRING, L_, NULL, 1, 0, NULL, "FILE", "load",                        \
    "ShareGPT JSON or JSONL file for --dataset sharegpt|jsonl.", 0, NULL)                          \
  X("input-len", BENCHY_OPT_INT, L_, "512", 1, 1e9, NULL, "TOKENS", "load",                        \
    "Random dataset: mean prompt length (prefix dataset: the unique part after the prefix).", 0, \
    NULL)                                                \
  X("random-input-len", BENCHY_OPT_INT, L_, NULL, 1, 1e9, NULL, "TOKENS", "load",                  \
    "vllm bench serve's name for --input-len.", BENCHY_OPTF_ALIAS, "input-len")                    \
  X("output-len", BENCHY_OPT_INT, L_, "128", 1, 1e9, NULL, "TOKENS", "load",                       \
    "Output length (random and prefix datasets; ShareGPT's fixed length; JSONL's default).", 0,  \
    NULL)                                                \
  X("random-output-len", BENCHY_OPT_INT, L_, NULL, 1, 1e9, NULL, "TOKENS", "load",                 \
    "vllm bench serve's name for --output-len.", BENCHY_OPTF_ALIAS, "output-len")                  \
  X("range-ratio", BENCHY_OPT_DOUBLE, L_, "0", 0, 1, NULL, "R", "load",                            \
    "Random dataset: lengths drawn uniformly from [len*(1-R), len*(1+R)].", 0, NULL)               \
  X("random-range-ratio", BENCHY_OPT_DOUBLE, L_, NULL, 0, 1, NULL, "R", "load",                    \
    "vllm bench serve's name for --range-ratio.", BENCHY_OPTF_ALIAS, "range-ratio")                \
  X("prefix-len", BENCHY_OPT_INT, L_, "256", 0, 1e9, NULL, "TOKENS", "load",                       \
    "Prefix dataset: shared prefix length per group.", 0, NULL)                                    \
  X("num-groups", BENCHY_OPT_INT, L_, "4", 1, 1e6, NULL, "N", "load",                              \
    "Prefix dataset: number of distinct prefixes.", 0, NULL)                                       \
  X("percentiles", BENCHY_OPT_DOUBLE_LIST, L_ | B_, "50,90,95,99", 0, 100, NULL, "P[,P...]",       \
    "output", "Percentiles to report.", 0, NULL)                                                   \
  X("metric-percentiles", BENCHY_OPT_DOUBLE_LIST, L_ | B_, NULL, 0, 100, NULL, "P[,P...]",         \
    "output", "vllm bench serve's name for --percentiles.", BENCHY_OPTF_ALIAS, "percentiles")      \
  X("percentile-metrics", BENCHY_OPT_STRING, L_, "ttft,tpot,itl,e2el", 1, 0, "ttft|tpot|itl|e2el", \
    "M[,M...]", "output",                                                                          \
    "Latency metrics whose mean, median and percentiles the printed table shows (the result "    \
    "holds all of them either way).", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                     \
  X("goodput", BENCHY_OPT_STRING_LIST, L_, NULL, 1, 0, NULL, "METRIC:MS", "load",                   \
    "Service-level objective (ttft, tpot, e2el in ms); goodput counts requests meeting all.", 0,  \
    NULL)                                                                                          \
  X("max-records", BENCHY_OPT_INT, L_, "100000", 0, 1e12, NULL, "N", "output",                   \
    "Per-request records kept in the result document per level; later ones are written to "      \
    "--jsonl only, so a long --duration run does not grow without bound. Statistics use every "  \
    "request either way.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                \
  X("max-errors", BENCHY_OPT_INT, L_, NULL, 0, 1e9, NULL, "N", "load",                             \
    "Stop a level after this many failed requests (0: no limit).", 0, NULL)                                      \
  /* ---- shared by clients ---- */                                                                \
  X("seed", BENCHY_OPT_INT, CLIENT_ | S_, "1", 0, 9.2e18, NULL, "N", "run",                        \
    "Random seed: the same seed sends the same requests (sim: the same timing jitter).", 0, NULL)  \
  X("max-failure-rate", BENCHY_OPT_DOUBLE, CLIENT_, "0.05", 0, 1, NULL, "F", "run",                \
    "The run fails (exit status 1) when more than this share of the requests of any load level "  \
    "or bench test failed; 0 fails on any failed request, 1 never on failed requests.", BENCHY_OPTF_OUTPUT_ONLY, NULL)  \
  X("threads", BENCHY_OPT_INT, CLIENT_, "1", 1, 1024, NULL, "N", "run",                            \
    "Event-loop threads; streams are spread over them, statistics merged.", BENCHY_OPTF_OUTPUT_ONLY, NULL)               \
  X("raw", BENCHY_OPT_FLAG, CLIENT_, NULL, 1, 0, NULL, NULL, "output",                              \
    "Write every chunk's timestamp with each record: with --jsonl, into the file as each "         \
    "request completes (not held in memory); otherwise in the result's records.", BENCHY_OPTF_OUTPUT_ONLY, NULL)          \
  X("format", BENCHY_OPT_CHOICE, CLIENT_, "md", 1, 0, "md|json|jsonl|csv|vllm", "FMT", "output",        \
    "Format of what is printed to stdout (jsonl: one JSON object per table row, or per load "      \
    "level, per line; vllm: load only, vLLM's --save-result keys).", BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)                                                                  \
  X("o", BENCHY_OPT_CHOICE, CLIENT_, NULL, 1, 0, NULL, "FMT", "output",                             \
    "llama-bench's -o: alias of --format.", BENCHY_OPTF_ALIAS | BENCHY_OPTF_CLI_ONLY, "format")                           \
  X("save-result", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "FILE", "output",                  \
    "Also write the result to FILE (format from its extension: .md, .json, .jsonl, .csv). Alone (vllm "   \
    "bench serve's flag), to --result-dir/--result-filename, by default "                         \
    "benchy-COMMAND-MODEL-YYYYMMDD-HHMMSS.json. An existing file is not overwritten without "     \
    "--overwrite-result.", BENCHY_OPTF_OPTIONAL_VALUE | BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)                                       \
  X("result-dir", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "DIR", "output",                    \
    "Directory for the saved result (implies --save-result).", BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)                           \
  X("result-filename", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "FILE", "output",              \
    "File name for the saved result, in --result-dir (implies --save-result).", BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)          \
  X("overwrite-result", BENCHY_OPT_FLAG, CLIENT_, NULL, 1, 0, NULL, NULL, "output",                 \
    "Let --save-result replace an existing file.", BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)                                        \
  X("jsonl", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "FILE", "output",                        \
    "Append each record to FILE as it completes (an interrupted run loses nothing).", BENCHY_OPTF_OUTPUT_ONLY, NULL)    \
  X("resume", BENCHY_OPT_FLAG, CLIENT_, NULL, 1, 0, NULL, NULL, "output",                           \
    "Continue the run recorded in --jsonl: skip what it already holds (load: an interrupted "     \
    "level goes on where it stopped, with fresh prompts).", BENCHY_OPTF_OUTPUT_ONLY, NULL)                               \
  X("retry-failed", BENCHY_OPT_FLAG, L_, NULL, 1, 0, NULL, NULL, "output",                          \
    "With --resume: send the failed requests of restored levels again, with fresh prompts.", BENCHY_OPTF_OUTPUT_ONLY,  \
    NULL)                                                                                          \
  X("name", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "LABEL", "output",                        \
    "A label for this run, written into results.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                        \
  X("label", BENCHY_OPT_STRING, CLIENT_, NULL, 1, 0, NULL, "LABEL", "output",                       \
    "vllm bench serve's name for --name.", BENCHY_OPTF_ALIAS, "name")                              \
  X("metadata", BENCHY_OPT_STRING_LIST, CLIENT_, NULL, 1, 0, NULL, "KEY=VALUE", "output",           \
    "Recorded in the result's metadata.user (repeatable, or several after one flag). Values of "  \
    "secret-looking keys (KEY, TOKEN but not max_tokens, SECRET, PASSWORD, AUTH) are redacted.", BENCHY_OPTF_KEY_VALUE | BENCHY_OPTF_OUTPUT_ONLY,    \
    NULL)                                                                                          \
  /* ---- reproducibility metadata (every client result, and benchy meta) ---- */               \
  X("meta-git", BENCHY_OPT_STRING_LIST, CLIENT_ | M_, NULL, 1, 0, NULL, "NAME=PATH", "metadata",   \
    "Record the git SHA and dirty flag of the source tree at PATH under metadata.git.NAME "       \
    "(repeatable), e.g. vllm=/src/vllm.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                           \
  X("meta-env", BENCHY_OPT_STRING, CLIENT_ | M_, NULL, 1, 0, NULL, "PREFIX[,PREFIX...]",           \
    "metadata", "Record the environment variables whose names start with one of these prefixes, " \
    "e.g. VLLM_,CUDA_ (only those; secret-looking names and values are redacted).",               \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  X("meta-cmd", BENCHY_OPT_STRING_LIST, CLIENT_ | M_, NULL, 1, 0, NULL, "NAME=COMMAND", "metadata", \
    "Record a shell command's output under metadata.commands.NAME (repeatable), e.g. "            \
    "pip=\"pip freeze\"; bounded by --meta-timeout and 64 KiB, secrets in it redacted.",         \
    /* SECRET: a command may hold a credential (curl -H ...); "config" leaves it out and       \
     * metadata.commands writes it only redacted. */                                               \
    BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_SECRET, NULL)                                            \
  X("meta-timeout", BENCHY_OPT_DOUBLE, CLIENT_ | M_, "10", 0.1, 3600, NULL, "SECONDS", "metadata", \
    "Longest each --meta-cmd, git and nvidia-smi command may run; one that overruns is killed and " \
    "recorded as timed out.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                       \
  X("sample-interval", BENCHY_OPT_INT, CLIENT_, "250", 0, 3600000, NULL, "MS", "metadata",          \
    "Sample GPU memory, utilisation, SM clock, power and temperature (NVML, else nvidia-smi at "   \
    "most once a second) and the client's own CPU every MS milliseconds on a thread of their own; " \
    "result.sampling and each level's \"gpu\" and \"client_cpu\". 0: off.",                         \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  /* The command line as typed, for metadata.command_line: the CLI sets it word by word. SECRET   \
   * keeps the raw words (an --api-key among them) out of "config"; metadata writes them only    \
   * redacted (meta/redact.c). */                                                                  \
  X("meta-argv", BENCHY_OPT_STRING_LIST, CLIENT_ | M_, NULL, 1, 0, NULL, "WORD", "metadata",       \
    "The command line to record (set by the CLI).",                                                \
    BENCHY_OPTF_HIDDEN | BENCHY_OPTF_SECRET | BENCHY_OPTF_OUTPUT_ONLY, NULL)                       \
  X("quiet", BENCHY_OPT_FLAG, CLIENT_, NULL, 1, 0, NULL, NULL, "output",                            \
    "No progress line on stderr.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                        \
  X("script", BENCHY_OPT_STRING, R_, NULL, 1, 0, NULL, "FILE.lua", "run",                           \
    "Lua workload to run (benchy run FILE.lua: the first bare word).", BENCHY_OPTF_POSITIONAL,     \
    NULL)                                                                                          \
  X("users", BENCHY_OPT_INT, R_, "1", 1, 1e6, NULL, "N", "run",                                    \
    "Closed loop: N simulated users, each a coroutine running one scenario iteration after "     \
    "another, all on one event loop.", 0, NULL)                                                    \
  X("iterations", BENCHY_OPT_INT, R_, NULL, 1, 1e12, NULL, "N", "run",                             \
    "Iterations per user (--rate: conversations in all); default 1 when no --duration.", 0,       \
    NULL)                                                                                          \
  X("rate", BENCHY_OPT_DOUBLE, R_, NULL, 1e-9, 1e9, NULL, "PER_S", "run",                          \
    "Open loop: start a new user's iteration at this many per second (Poisson arrivals), "       \
    "timed from its scheduled start; --users is then ignored.", 0, NULL)                           \
  X("define", BENCHY_OPT_STRING_LIST, R_, NULL, 1, 0, NULL, "KEY=VALUE", "run",                    \
    "A script option: benchy.options.KEY is VALUE (a string) in the script (repeatable).",        \
    BENCHY_OPTF_KEY_VALUE | BENCHY_OPTF_KEEP_VALUE, NULL)                                                                   \
  X("e", BENCHY_OPT_STRING_LIST, R_, NULL, 1, 0, NULL, "KEY=VALUE", "run",                         \
    "Short for --define.", BENCHY_OPTF_ALIAS, "define")                                                               \
  /* ---- server lifecycle (bench, load, matrix): docs/lifecycle.md ---- */                       \
  X("server-cmd", BENCHY_OPT_STRING, B_ | L_ | MTX_, NULL, 1, 0, NULL, "'COMMAND'", "lifecycle",   \
    "Start this server (sh -c, in a process group of its own) before the run, wait until it is "  \
    "ready, and stop it afterwards, also when the run fails or is interrupted. Recorded in "      \
    "metadata.server_process with secret-looking values redacted, never in config.",             \
    BENCHY_OPTF_SECRET, NULL)                                                                      \
  X("server-env", BENCHY_OPT_STRING_LIST, B_ | L_ | MTX_, NULL, 1, 0, NULL, "NAME=VALUE",          \
    "lifecycle", "Environment variable for --server-cmd (repeatable). Recorded by name; values "  \
    "of names with KEY, TOKEN, SECRET, PASSWORD, AUTH or CREDENTIAL are redacted.",               \
    BENCHY_OPTF_SECRET, NULL)                                                                      \
  X("server-cwd", BENCHY_OPT_STRING, B_ | L_ | MTX_, NULL, 1, 0, NULL, "DIR", "lifecycle",         \
    "Working directory of --server-cmd (default: benchy's).", BENCHY_OPTF_OUTPUT_ONLY, NULL)       \
  X("ready-url", BENCHY_OPT_STRING, B_ | L_ | MTX_, "/health", 1, 0, NULL, "PATH|URL",             \
    "lifecycle", "The server is ready when this answers HTTP 200 (a path goes on --base-url's "   \
    "host and port); the run's own model check follows.", BENCHY_OPTF_OUTPUT_ONLY, NULL)          \
  X("ready-timeout", BENCHY_OPT_DOUBLE, B_ | L_ | MTX_, "600", 0.01, 1e7, NULL, "SECONDS",            \
    "lifecycle", "Give up (exit 2, quoting the end of the server log) when the server is not "   \
    "ready after this long.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                                       \
  X("stop-grace", BENCHY_OPT_DOUBLE, B_ | L_ | MTX_, "10", 0, 3600, NULL, "SECONDS", "lifecycle",  \
    "After SIGTERM to the server's process group, wait this long before SIGKILL.",               \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  X("server-log", BENCHY_OPT_STRING, B_ | L_, NULL, 1, 0, NULL, "FILE", "lifecycle",               \
    "Where the server's stdout and stderr go; never replaced (an existing FILE is an error). "     \
    "Default: NAME.server.log beside a saved result whose file NAME is given, else "              \
    "benchy-server-DATE-TIME.server.log in --result-dir or here (-2, -3... when taken).",         \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  X("expect-log", BENCHY_OPT_STRING_LIST, B_ | L_ | MTX_, NULL, 1, 0, NULL, "REGEX", "lifecycle",  \
    "Some line of the server log must match this POSIX extended regex (repeatable), else the "    \
    "result is marked invalid and benchy exits 1.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                \
  X("reject-log", BENCHY_OPT_STRING_LIST, B_ | L_ | MTX_, NULL, 1, 0, NULL, "REGEX", "lifecycle",  \
    "No line of the server log may match this POSIX extended regex (repeatable), else the "       \
    "result is marked invalid, quoting the lines, and benchy exits 1.", BENCHY_OPTF_OUTPUT_ONLY,  \
    NULL)                                                                                          \
  /* ---- matrix ---- */                                                                           \
  X("vary", BENCHY_OPT_STRING_LIST, MTX_, NULL, 1, 0, NULL, "NAME=V1,V2", "matrix",                \
    "A dimension of the matrix (repeatable): an UPPER_CASE NAME is set in the server's "          \
    "environment, a --flag NAME is appended to --server-cmd as --flag=VALUE (an empty value: "    \
    "not appended).", 0, NULL)                                                                     \
  X("expect-log-for", BENCHY_OPT_STRING_LIST, MTX_, NULL, 1, 0, NULL, "VALUE=REGEX", "matrix",      \
    "--expect-log for the combinations where a --vary takes VALUE (repeatable).", 0, NULL)        \
  X("workload", BENCHY_OPT_CHOICE, MTX_, "bench", 1, 0, "bench|load", "KIND", "matrix",            \
    "What each combination runs; every other option is that command's.", 0, NULL)                \
  /* ---- compare and table: saved results read back ---- */                                     \
  X("fail-if-slower", BENCHY_OPT_STRING, CMP_, NULL, 1, 0, NULL, "PCT", "compare",                 \
    "Exit 1 when a throughput figure (t/s, req/s, tok/s) is significantly lower in NEW and by "    \
    "more than PCT percent, e.g. 3%. Unset: throughput never fails the comparison.", 0, NULL)      \
  X("fail-if-latency-grows", BENCHY_OPT_STRING, CMP_, NULL, 1, 0, NULL, "PCT", "compare",          \
    "Exit 1 when a latency figure (TTFT, TPOT, ITL, E2EL, est_ppt) is significantly higher in "    \
    "NEW and by more than PCT percent, e.g. 5%.", 0, NULL)                                         \
  X("fail-if-memory-grows", BENCHY_OPT_STRING, CMP_, NULL, 1, 0, NULL, "SIZE", "compare",          \
    "Exit 1 when peak GPU memory grows by more than SIZE (1GB, 512MiB); results without memory "   \
    "figures are said to have none and never fail.", 0, NULL)                                      \
  X("ignore-config", BENCHY_OPT_STRING, CMP_ | RPT_, NULL, 1, 0, NULL, "KEYS", "compare",                 \
    "Compare although these identifying config keys differ (comma-separated, e.g. "                \
    "model,concurrency); without it such results are refused, naming the keys.", 0, NULL)          \
  X("alpha", BENCHY_OPT_DOUBLE, CMP_ | RPT_, "0.05", 1e-6, 0.5, NULL, "A", "compare",                     \
    "Significance level: a difference counts when p < A; intervals are at 1 - A.", 0, NULL)        \
  X("bootstrap-iterations", BENCHY_OPT_INT, CMP_ | RPT_, "2000", 100, 1e6, NULL, "N", "compare",          \
    "Resamples of the bootstrap that tests percentiles (p50, p90, p99).", 0, NULL)                 \
  X("bootstrap-seed", BENCHY_OPT_INT, CMP_ | RPT_, "1", 0, 9.2e18, NULL, "N", "compare",                  \
    "Seed of the bootstrap, so a comparison prints the same figures every time.", 0, NULL)         \
  X("format", BENCHY_OPT_CHOICE, CMP_ | TBL_, "md", 1, 0, "md|json", "FMT", "compare",             \
    "Output format: a markdown table, or the same as JSON.", BENCHY_OPTF_CLI_ONLY, NULL)          \
  /* ---- report: saved results as one HTML page (docs/report.md) ---- */                          \
  X("output", BENCHY_OPT_STRING, RPT_, NULL, 1, 0, NULL, "FILE", "report",                         \
    "The HTML file to write (required). An existing file is refused unless --overwrite.",         \
    BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_CLI_ONLY, NULL)                                                                 \
  X("o", BENCHY_OPT_STRING, RPT_, NULL, 1, 0, NULL, "FILE", "report", "Alias of --output.",         \
    BENCHY_OPTF_ALIAS | BENCHY_OPTF_CLI_ONLY, "output")                                                                   \
  X("overwrite", BENCHY_OPT_FLAG, RPT_, NULL, 1, 0, NULL, NULL, "report",                        \
    "Replace the --output file when it exists.", BENCHY_OPTF_OUTPUT_ONLY, NULL)                    \
  X("force", BENCHY_OPT_FLAG, RPT_, NULL, 1, 0, NULL, NULL, "report", "Alias of --overwrite.",      \
    BENCHY_OPTF_ALIAS, "overwrite")                                                                \
  X("compare", BENCHY_OPT_FLAG, RPT_, NULL, 1, 0, NULL, NULL, "report",                          \
    "Exactly two results, BASE then NEW as benchy compare takes them: add the comparison table "  \
    "(difference, confidence interval, p, verdict); --alpha and the bootstrap options apply.",    \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  X("title", BENCHY_OPT_STRING, RPT_, NULL, 1, 0, NULL, "TEXT", "report",                          \
    "The page's title (default: the results' names or files).", BENCHY_OPTF_OUTPUT_ONLY, NULL)    \
  X("max-points", BENCHY_OPT_INT, RPT_, "2000", 100, 1e6, NULL, "N", "report",                     \
    "Most points one series of the page holds (per-second timeline, GPU samples); "       \
    "longer series are downsampled so a 250K-request run stays a few MB.",                        \
    BENCHY_OPTF_OUTPUT_ONLY, NULL)                                                                 \
  /* ---- simulator ---- */                                                                        \
  X("host", BENCHY_OPT_STRING, S_, "127.0.0.1", 1, 0, NULL, "ADDR", "sim",                         \
    "Address to listen on.", 0, NULL)                                                              \
  X("port", BENCHY_OPT_INT, S_, "8090", 0, 65535, NULL, "PORT", "sim",                             \
    "Port to listen on (0: any free port).", 0, NULL)                                              \
  X("prefill-tps", BENCHY_OPT_DOUBLE, S_, "4000", 1e-3, 1e9, NULL, "TOK/S", "sim",                 \
    "Prefill rate: uncached prompt tokens per second.", 0, NULL)                                   \
  X("decode-tps", BENCHY_OPT_DOUBLE, S_, "100", 1e-3, 1e9, NULL, "TOK/S", "sim",                   \
    "Decode rate of one sequence decoding alone.", 0, NULL)                                        \
  X("overhead-ms", BENCHY_OPT_DOUBLE, S_, "5", 0, 1e7, NULL, "MS", "sim",                          \
    "Fixed time from request to the start of prefill.", 0, NULL)                                   \
  X("slots", BENCHY_OPT_INT, S_, "8", 1, 1e6, NULL, "N", "sim",                                    \
    "Parallel sequences; more requests queue for a free slot.", 0, NULL)                           \
  X("batch-slowdown", BENCHY_OPT_DOUBLE, S_, "0.05", 0, 100, NULL, "F", "sim",                     \
    "Each other active sequence slows decoding by this fraction.", 0, NULL)                        \
  X("jitter", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "F", "sim",                                  \
    "Seeded uniform jitter of each inter-token gap, +-F of it.", 0, NULL)                          \
  X("tokens-per-chunk", BENCHY_OPT_STRING, S_, "1", 1, 0, NULL, "N|MIN-MAX", "sim",                 \
    "Tokens per streamed chunk, fixed or seeded-random in a range (speculative decoding).", 0,    \
    NULL)                                                                                          \
  X("reasoning-tokens", BENCHY_OPT_INT, S_, "0", 0, 1e9, NULL, "N", "sim",                         \
    "Reasoning tokens streamed before content (reasoning_content).", 0, NULL)                      \
  X("sentence-every", BENCHY_OPT_INT, S_, "0", 0, 1e9, NULL, "N", "sim",                           \
    "Every Nth output token is '.', so answers have sentences (time to first sentence); 0: none.", \
    0, NULL)                                                                                       \
  X("flavour", BENCHY_OPT_CHOICE, S_, "llama", 1, 0, "llama|vllm|sglang", "NAME", "sim",            \
    "Whose chunk quirks to mimic.", 0, NULL)                                                       \
  X("ctx-size", BENCHY_OPT_INT, S_, "131072", 1, 1e9, NULL, "TOKENS", "sim",                       \
    "Context per slot; longer prompts get HTTP 400 exceed_context_size_error.", 0, NULL)           \
  X("max-tokens", BENCHY_OPT_INT, S_, "256", 1, 1e9, NULL, "TOKENS", "sim",                        \
    "Output length when a request sets no max_tokens.", 0, NULL)                                   \
  X("no-prefix-cache", BENCHY_OPT_FLAG, S_, NULL, 1, 0, NULL, NULL, "sim",                          \
    "Disable the prefix cache.", 0, NULL)                                                          \
  X("no-stamp", BENCHY_OPT_FLAG, S_, NULL, 1, 0, NULL, NULL, "sim",                                 \
    "Do not stamp the send time into chunks.", 0, NULL)                                            \
  X("spin-us", BENCHY_OPT_DOUBLE, S_, "100", 0, 1e6, NULL, "US", "sim",                           \
    "When the next chunk is due within this long, poll instead of sleeping on a timer (timer "   \
    "wake-ups can be milliseconds late on VMs). Larger values burn a core but keep the "         \
    "schedule; the perf harness uses 5000.", 0, NULL)                                              \
  X("reuse-port", BENCHY_OPT_FLAG, S_, NULL, 1, 0, NULL, NULL, "sim",                               \
    "Listen with SO_REUSEPORT so that several simulators can share one port (the kernel spreads " \
    "connections over them): one simulator process tops out at one core.", 0, NULL)               \
  X("metrics", BENCHY_OPT_FLAG, S_, NULL, 1, 0, NULL, NULL, "sim",                                  \
    "Serve GET /metrics as llama-server --metrics does (Prometheus text: "                         \
    "llamacpp:prompt_tokens_total, tokens_predicted_total, requests_processing, "                 \
    "requests_deferred); without it /metrics answers 501, as there.", 0, NULL)                     \
  X("api-key", BENCHY_OPT_STRING, S_, NULL, 1, 0, NULL, "KEY", "sim",                              \
    "Require 'Authorization: Bearer KEY' as llama-server --api-key does: other requests get HTTP " \
    "401 with an OpenAI error body; /health and /v1/models stay open, as there (and /sim/stats).", \
    BENCHY_OPTF_SECRET, NULL)                                                                      \
  X("fault-429", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                            \
    "Probability a request gets HTTP 429 with an error body.", 0, NULL)                            \
  X("fault-500", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                            \
    "Probability a request gets HTTP 500 with an error body.", 0, NULL)                            \
  X("fault-disconnect", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                     \
    "Probability a stream is cut mid-way (connection closed).", 0, NULL)                           \
  X("fault-malformed", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                      \
    "Probability a stream carries a malformed chunk.", 0, NULL)                                    \
  X("fault-error-chunk", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                    \
    "Probability a stream ends with an error object in the stream.", 0, NULL)                      \
  X("fault-stall", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                          \
    "Probability a stream stalls once for --stall-ms.", 0, NULL)                                   \
  X("stall-ms", BENCHY_OPT_DOUBLE, S_, "1000", 0, 1e7, NULL, "MS", "faults",                       \
    "Length of an injected stall.", 0, NULL)                                                       \
  X("fault-slow-headers", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                   \
    "Probability response headers are delayed by --slow-headers-ms.", 0, NULL)                     \
  X("slow-headers-ms", BENCHY_OPT_DOUBLE, S_, "1000", 0, 1e7, NULL, "MS", "faults",                \
    "Delay of slow headers.", 0, NULL)                                                             \
  X("fault-bad-tool-args", BENCHY_OPT_DOUBLE, S_, "0", 0, 1, NULL, "P", "faults",                  \
    "Probability a tool call's arguments are wrong: a wrong type, a missing required field or "  \
    "invalid JSON, one of the three at random (seeded).", 0, NULL)                               \
  X("close-after-stream", BENCHY_OPT_CHOICE, S_, "auto", 1, 0, "auto|yes|no|announced", "WHEN",      \
    "faults",                                                                                      \
    "Close the connection after each streamed response despite keep-alive (auto: as llama-server " \
    "does, for --flavour llama; announced: close and say so with Connection: close).", 0, NULL)

#endif
