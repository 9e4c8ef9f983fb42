/* The backend registry behind sy_vfs_register(): versions, names, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vfs_internal.h"

static struct sy_vfs_backend named(const char *name, int version)
{
	struct sy_vfs_backend b = {.version = version, .name = name};
	return b;
}

static void test_register_and_find(void **state)
{
	(void)state;
	static struct sy_vfs_backend a, b;
	a = named("alpha", SY_VFS_API_VERSION);
	b = named("beta", SY_VFS_API_VERSION);
	assert_int_equal(sy_vfs_register(&a), 0);
	assert_int_equal(sy_vfs_register(&b), 0);
	assert_ptr_equal(sy_vfs_backend_find("alpha"), &a);
	assert_ptr_equal(sy_vfs_backend_find("beta"), &b);
	assert_null(sy_vfs_backend_find("gamma"));
	assert_null(sy_vfs_backend_find("alph"));
}

static void test_refusals(void **state)
{
	(void)state;
	static struct sy_vfs_backend again, old, v1, unnamed, empty;
	again = named("alpha", SY_VFS_API_VERSION);
	old = named("old", SY_VFS_API_VERSION + 1);
	v1 = named("v1", 1); /* version 2 changed write(), setattr(), ... */
	unnamed = named(NULL, SY_VFS_API_VERSION);
	empty = named("", SY_VFS_API_VERSION);
	assert_int_equal(sy_vfs_register(NULL), -1);
	assert_int_equal(sy_vfs_register(&again), -1); /* the name is taken */
	assert_int_equal(sy_vfs_register(&old), -1);   /* unknown version */
	assert_int_equal(sy_vfs_register(&v1), -1);
	assert_int_equal(sy_vfs_register(&unnamed), -1);
	assert_int_equal(sy_vfs_register(&empty), -1);
	assert_null(sy_vfs_backend_find("old"));
	assert_null(sy_vfs_backend_find("v1"));
}

static void test_limit(void **state)
{
	(void)state;
	static struct sy_vfs_backend many[32];
	static char names[32][8];
	int accepted = 0;
	for (int i = 0; i < 32; i++) {
		names[i][0] = 'n';
		names[i][1] = (char)('a' + i % 26);
		names[i][2] = (char)('a' + i / 26);
		many[i] = named(names[i], SY_VFS_API_VERSION);
		accepted += sy_vfs_register(&many[i]) == 0;
	}
	/* alpha and beta are registered already; the table holds 16 */
	assert_int_equal(accepted, 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_and_find),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests_name("vfs_registry", tests, NULL, NULL);
}
