/*
 * test_meta.c — reproducibility metadata (meta/): every NVML field read
 * through a fake libnvidia-ml (tests/unit/fake_nvml.c), the nvidia-smi
 * fallback through a fake nvidia-smi on PATH, the error when neither is
 * there; host facts of this machine; the server's self-description from
 * the simulator through benchy_meta_json; commands bounded in time and
 * size; and the redaction rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "meta/meta.h"
#include "testutil.h"

static const cJSON *at(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) fail_msg("missing \"%s\"", key);
  return v;
}
static double num(const cJSON *o, const char *key) {
  const cJSON *v = at(o, key);
  assert_true(cJSON_IsNumber(v));
  return v->valuedouble;
}
static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = at(o, key);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}
static int flag(const cJSON *o, const char *key) {
  const cJSON *v = at(o, key);
  assert_true(cJSON_IsBool(v));
  return cJSON_IsTrue(v);
}

static void test_nvml_every_field(void **state) {
  (void)state;
  char err[512] = "";
  cJSON *g = meta_gpus_nvml(FAKE_NVML_LIBRARY, err, sizeof err);
  if (!g) fail_msg("fake NVML not loaded: %s", err);
  assert_string_equal(str(g, "source"), "nvml");
  assert_string_equal(str(g, "driver_version"), "550.54.15");
  assert_string_equal(str(g, "cuda_version"), "12.4");
  assert_int_equal((int)num(g, "count"), 2);
  const cJSON *devs = at(g, "devices");
  assert_int_equal(cJSON_GetArraySize(devs), 2);
  const cJSON *d0 = cJSON_GetArrayItem(devs, 0), *d1 = cJSON_GetArrayItem(devs, 1);
  assert_string_equal(str(d0, "name"), "NVIDIA H200 fake 0");
  assert_string_equal(str(d1, "uuid"), "GPU-00000000-fake-0000-0000-000000000001");
  const cJSON *c0 = at(d0, "clocks_mhz"), *c1 = at(d1, "clocks_mhz");
  assert_int_equal((int)num(c0, "sm"), 1755);
  assert_int_equal((int)num(c1, "sm"), 1756);
  assert_int_equal((int)num(c0, "memory"), 3201);
  assert_int_equal((int)num(c0, "sm_max"), 1980);
  assert_int_equal((int)num(c0, "memory_max"), 3201);
  assert_int_equal((int)num(c0, "applications_sm"), 1500);
  assert_int_equal((int)num(c0, "applications_memory"), 3201);
  assert_int_equal((int)num(c0, "default_applications_sm"), 1980);
  assert_int_equal((int)num(c0, "default_applications_memory"), 3201);
  assert_true(flag(d0, "application_clocks_locked"));
  assert_false(flag(d1, "application_clocks_locked"));
  assert_true(num(d0, "power_limit_w") == 700.0);
  assert_true(num(d1, "enforced_power_limit_w") == 600.0);
  assert_true(flag(d0, "persistence_mode"));
  assert_false(flag(d1, "persistence_mode"));
  assert_string_equal(str(d0, "performance_state"), "P0");
  assert_true(num(d0, "memory_total_bytes") == 150754820096.0);
  assert_true(num(d0, "memory_used_bytes") == 1073741824.0);
  assert_true(num(d1, "memory_used_bytes") == 0.0);
  cJSON_Delete(g);
}

/* A directory holding only an nvidia-smi script that prints csv_line
 * (NULL: an empty directory). Returns the directory (static). */
static const char *fake_smi_dir(const char *csv_line) {
  static char dir[256];
  snprintf(dir, sizeof dir, "/tmp/benchy-test-meta-%ld", (long)getpid());
  mkdir(dir, 0700);
  char path[512];
  snprintf(path, sizeof path, "%s/nvidia-smi", dir);
  unlink(path);
  if (csv_line) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* Refuses the query unless asked for CSV without header, as used. */
    fprintf(f, "#!/bin/sh\ncase \"$*\" in *--format=csv,noheader*) ;; *) exit 9;; esac\n"
               "printf '%%s\\n' '%s'\n", csv_line);
    fclose(f);
    chmod(path, 0755);
  }
  return dir;
}

static void test_gpus_fallback_to_nvidia_smi(void **state) {
  (void)state;
  const char *dir = fake_smi_dir("NVIDIA H200, GPU-smi-0001, 550.90.07, 1980, 3201, 1980, 3201, "
                                 "1980, 3201, 1980, 3201, 700.00, 700.00, Enabled, P0, 143771, 512");
  char *old_path = strdup(getenv("PATH"));
  char path[1024];
  snprintf(path, sizeof path, "%s:%s", dir, old_path);
  setenv("PATH", path, 1);
  setenv("BENCHY_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
  cJSON *md = cJSON_CreateObject();
  meta_gpus(md, 10);
  const cJSON *g = at(md, "gpus");
  assert_string_equal(str(g, "source"), "nvidia-smi");
  assert_string_equal(str(g, "driver_version"), "550.90.07");
  const cJSON *d = cJSON_GetArrayItem(at(g, "devices"), 0);
  assert_non_null(d);
  assert_string_equal(str(d, "name"), "NVIDIA H200");
  assert_string_equal(str(d, "uuid"), "GPU-smi-0001");
  assert_int_equal((int)num(at(d, "clocks_mhz"), "sm"), 1980);
  assert_false(flag(d, "application_clocks_locked"));
  assert_true(num(d, "power_limit_w") == 700.0);
  assert_true(flag(d, "persistence_mode"));
  assert_true(num(d, "memory_total_bytes") == 143771.0 * 1024 * 1024);
  assert_true(num(d, "memory_used_bytes") == 512.0 * 1024 * 1024);
  cJSON_Delete(md);

  /* Neither NVML nor nvidia-smi: the reason, from both. */
  fake_smi_dir(NULL);
  setenv("PATH", dir, 1);
  md = cJSON_CreateObject();
  meta_gpus(md, 10);
  const char *e = str(at(md, "gpus"), "error");
  assert_non_null(strstr(e, "no GPU information: "));
  assert_non_null(strstr(e, "NVML: cannot load /nonexistent/libnvidia-ml.so.1"));
  assert_non_null(strstr(e, "nvidia-smi: not found on PATH"));
  cJSON_Delete(md);
  setenv("PATH", old_path, 1);
  free(old_path);
  unsetenv("BENCHY_NVML_LIBRARY");
  rmdir(dir);
}

static void test_host_facts_of_this_machine(void **state) {
  (void)state;
  cJSON *md = cJSON_CreateObject();
  meta_host(md);
  const cJSON *h = at(md, "host");
  char name[256];
  assert_int_equal(gethostname(name, sizeof name), 0);
  assert_string_equal(str(h, "hostname"), name);
  assert_string_equal(str(h, "os"), "Linux");
  assert_true(strlen(str(h, "kernel")) > 0);
  assert_true(strlen(str(h, "cpu_model")) > 0);
  assert_int_equal((long)num(h, "cpu_count"), sysconf(_SC_NPROCESSORS_ONLN));
  assert_true(num(h, "memory_total_bytes") > 64.0 * 1024 * 1024);
  cJSON_Delete(md);
}

static benchy_options *meta_opts(const char *first, ...) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_META), BENCHY_OK);
  va_list ap;
  va_start(ap, first);
  for (const char *name = first; name; name = va_arg(ap, const char *)) {
    const char *value = va_arg(ap, const char *);
    if (benchy_options_set(o, name, value) != BENCHY_OK) fail_msg("%s", benchy_options_error(o));
  }
  va_end(ap);
  return o;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_commands_bounded_in_time_and_size(void **state) {
  (void)state;
  benchy_options *o = meta_opts("meta-cmd", "slow=echo started; sleep 30", "meta-cmd",
                                "big=head -c 200000 /dev/zero | tr '\\0' a", "meta-cmd",
                                "fails=echo out; exit 3", "meta-cmd", "nameless", "meta-timeout",
                                "0.5", NULL);
  cJSON *md = cJSON_CreateObject();
  double t0 = now_s();
  meta_cmd(md, o, 0.5);
  double took = now_s() - t0;
  assert_true(took < 10.0); /* the 30 s sleep was killed, not waited for */
  const cJSON *c = at(md, "commands");
  const cJSON *slow = at(c, "slow");
  assert_true(flag(slow, "timed_out"));
  assert_string_equal(str(slow, "output"), "started\n");
  const cJSON *big = at(c, "big");
  assert_true(flag(big, "truncated"));
  assert_int_equal(strlen(str(big, "output")), 64 * 1024);
  assert_int_equal((int)num(at(c, "fails"), "exit_status"), 3);
  assert_string_equal(str(at(c, "fails"), "output"), "out\n");
  assert_non_null(strstr(str(at(c, "nameless"), "error"), "NAME=COMMAND"));
  cJSON_Delete(md);
  benchy_options_free(o);
}

static void test_git_sha_and_dirty(void **state) {
  (void)state;
  char dir[256];
  snprintf(dir, sizeof dir, "/tmp/benchy-test-meta-git-%ld", (long)getpid());
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "rm -rf %s && mkdir %s && cd %s && git init -q && echo a > f && git add f && "
           "git -c user.name=t -c user.email=t@e commit -qm one && git rev-parse HEAD > sha",
           dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  char path[512], sha[64] = "";
  snprintf(path, sizeof path, "%s/sha", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(sha, sizeof sha, f));
  fclose(f);
  sha[strcspn(sha, "\n")] = '\0';
  char kv[512];
  snprintf(kv, sizeof kv, "tree=%s", dir);
  benchy_options *o = meta_opts("meta-git", kv, "meta-git", "none=/nonexistent", NULL);
  cJSON *md = cJSON_CreateObject();
  meta_git(md, o, 10);
  const cJSON *tree = at(at(md, "git"), "tree");
  assert_string_equal(str(tree, "sha"), sha);
  assert_false(flag(tree, "dirty")); /* the untracked "sha" file does not count */
  assert_non_null(strstr(str(at(at(md, "git"), "none"), "error"), "not a git work tree"));
  cJSON_Delete(md);
  snprintf(cmd, sizeof cmd, "echo b >> %s/f", dir);
  assert_int_equal(system(cmd), 0);
  md = cJSON_CreateObject();
  meta_git(md, o, 10);
  assert_true(flag(at(at(md, "git"), "tree"), "dirty"));
  cJSON_Delete(md);
  benchy_options_free(o);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void expect_redacted(const char *in, const char *out) {
  char *r = meta_redact_text(in);
  assert_non_null(r);
  assert_string_equal(r, out);
  free(r);
}

static void test_redaction_rules(void **state) {
  (void)state;
  expect_redacted("key sk-abcdefgh12345678 end", "key [redacted] end");
  expect_redacted("hf_ABCDEFGHIJKL", "[redacted]");
  expect_redacted("task-list sk-short", "task-list sk-short");
  expect_redacted("https://bob:hunter2@host/x", "https://[redacted]@host/x");
  expect_redacted("http://host:8000/v1", "http://host:8000/v1");
  expect_redacted("Authorization: Bearer abc.def", "Authorization: [redacted]");
  expect_redacted("curl -H 'Bearer abcdef0123'", "curl -H 'Bearer [redacted]'");
  expect_redacted("MY_PASSWORD=x y\nNEXT=1", "MY_PASSWORD=[redacted]\nNEXT=1");
  expect_redacted("{\"api_key\": \"zzz\", \"port\": 1}", "{\"api_key\": \"[redacted]\", \"port\": 1}");
  expect_redacted("aws_credential_file=/x", "aws_credential_file=[redacted]");
  expect_redacted("VLLM_ATTENTION_BACKEND=FLASH_ATTN", "VLLM_ATTENTION_BACKEND=FLASH_ATTN");
  assert_true(meta_secret_name("x-auth-token", 12));
  assert_false(meta_secret_name("VLLM_ATTENTION_BACKEND", 22));
  assert_true(meta_header_value_safe("content-type", 12));
  assert_false(meta_header_value_safe("Cookie", 6));
  assert_false(meta_header_value_safe("X-Auth-Token", 12));
}

static void test_command_line_redaction(void **state) {
  (void)state;
  const char *words[] = {"benchy", "meta", "--api-key=sk-inline-key-000", "--header",
                         "Cookie: c=1", "Accept: text/plain", "--meta-env", "VLLM_",
                         "--base-url", "http://u:p4ssw0rd@h:1/v1", NULL};
  const char *want[] = {"benchy", "meta", "--api-key=[redacted]", "--header",
                        "Cookie: [redacted]", "Accept: text/plain", "--meta-env", "VLLM_",
                        "--base-url", "http://[redacted]@h:1/v1", NULL};
  benchy_options *o = meta_opts(NULL);
  for (size_t i = 0; words[i]; i++) assert_int_equal(benchy_options_set(o, "meta-argv", words[i]), BENCHY_OK);
  cJSON *argv = meta_redact_argv(o);
  assert_non_null(argv);
  assert_int_equal(cJSON_GetArraySize(argv), 10);
  for (int i = 0; want[i]; i++) assert_string_equal(cJSON_GetArrayItem(argv, i)->valuestring, want[i]);
  cJSON_Delete(argv);
  benchy_options_free(o);
}

static void test_meta_json_with_server(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start(NULL);
  benchy_options *o = meta_opts("base-url", benchy_sim_base_url(sim), "api-key", "sk-unit-test-key-000",
                                "header", "X-Auth-Token: tokvalue9", "header",
                                "User-Agent: unit/1", "meta-argv", "benchy", "meta-argv", "meta",
                                "meta-argv", "--api-key", "meta-argv", "sk-unit-test-key-000", NULL);
  char err[256] = "";
  char *text = benchy_meta_json(o, err, sizeof err);
  if (!text) fail_msg("%s", err);
  assert_null(strstr(text, "sk-unit-test-key-000"));
  assert_null(strstr(text, "tokvalue9"));
  cJSON *doc = cJSON_Parse(text);
  assert_non_null(doc);
  const cJSON *srv = at(doc, "server_reported");
  assert_string_equal(str(cJSON_GetArrayItem(at(srv, "models"), 0), "id"), "sim");
  const cJSON *props = at(srv, "props");
  assert_int_equal((int)num(props, "total_slots"), 8);
  assert_true(num(props, "n_ctx") > 0);
  assert_non_null(strstr(str(props, "build_info"), "benchy-sim"));
  assert_null(cJSON_GetObjectItem(srv, "version")); /* a llama flavour has no /version: skipped */
  const cJSON *headers = at(doc, "request_headers");
  assert_string_equal(str(headers, "User-Agent"), "unit/1");
  assert_string_equal(str(headers, "X-Auth-Token"), "[redacted]");
  const cJSON *argv = at(doc, "command_line");
  assert_int_equal(cJSON_GetArraySize(argv), 4);
  assert_string_equal(cJSON_GetArrayItem(argv, 3)->valuestring, "[redacted]");
  assert_true(strlen(str(at(doc, "build"), "compiler")) > 0);
  assert_non_null(at(doc, "collected_at"));
  cJSON_Delete(doc);
  free(text);
  benchy_options_free(o);
  test_sim_stop(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nvml_every_field),
      cmocka_unit_test(test_gpus_fallback_to_nvidia_smi),
      cmocka_unit_test(test_host_facts_of_this_machine),
      cmocka_unit_test(test_commands_bounded_in_time_and_size),
      cmocka_unit_test(test_git_sha_and_dirty),
      cmocka_unit_test(test_redaction_rules),
      cmocka_unit_test(test_command_line_redaction),
      cmocka_unit_test(test_meta_json_with_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
