/*
 * libFuzzer on the config parser: any bytes as a config file must give 0 or
 * -1 with a message (starting with the file's name), never a crash, a hang
 * or undefined behaviour (built with ASan and UBSan). Run bounded by ctest;
 * longer by hand: build/bin/fuzz_config -max_total_time=600 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/sy-fuzz-config-%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct sy_options o;
	char err[PATH_MAX + 512] = "";
	sy_options_default(&o);
	int r = sy_config_load(path, &o, err, sizeof(err));
	if (r != 0 && (r != -1 || strncmp(err, path, strlen(path)) != 0)) {
		fprintf(stderr, "config refused without its file's name: %d '%s'\n", r, err);
		abort();
	}
	if (r == 0) {
		char out[8192];
		sy_config_describe_mounts(&o, out, sizeof(out));
		sy_config_describe_net(&o, out, sizeof(out));
	}
	return 0;
}
