/* Stands in for a runtime library (built as libjli.so, the JVM launcher's):
 * switchyard's auto mode picks sud for programs that load one at start-up. */
int sy_test_runtime_marker(void)
{
	return 42;
}
