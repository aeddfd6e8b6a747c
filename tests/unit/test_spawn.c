/* test_spawn.c: the launcher's fork+exec of a daemon (cli/engine/spawn.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* In a child of the test (the test's own fds kept apart): the readiness
 * pipe's write end on fd 4 and the case pipe's read end on fd 3, the
 * crossed arrangement two launcher threads starting daemons at once can
 * produce. A stand-in daemon, with the fds spawn_child_fds gives it,
 * writes READY on 3 and echoes the case it reads on 4. Exit 0 when both
 * arrived where they belong. */
static int crossed_pipes(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	int ready[2], cases[2];
	if (pipe(ready) != 0 || ready[0] != 3 || ready[1] != 4)
		return 10;
	/* Move the readiness read end away, and put the case pipe's read
	 * end on 3. */
	if (dup2(3, 20) != 20 || close(3) != 0 || pipe(cases) != 0 ||
	    cases[0] != 3)
		return 11;
	ready[0] = 20;
	pid_t pid = fork();
	if (pid == 0) {
		if (spawn_child_fds(ready[1], cases[0]) != 0)
			_exit(126);
		close(ready[0]);
		close(cases[1]);
		execl("/bin/sh", "sh", "-c",
		      "echo 'READY 7' >&3; read line <&4; echo \"got $line\" >&3",
		      (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(cases[0]);
	if (write(cases[1], "case\n", 5) != 5)
		return 12;
	close(cases[1]);
	char buf[64] = "";
	size_t len = 0;
	ssize_t r;
	while (len < sizeof(buf) - 1 &&
	       (r = read(ready[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	int ws;
	waitpid(pid, &ws, 0);
	return strcmp(buf, "READY 7\ngot case\n") == 0 ? 0 : 13;
}

Test(spawn, daemon_fds_are_right_when_its_pipes_are_crossed_on_3_and_4)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(crossed_pipes());
	int ws;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws));
	cr_expect_eq(WEXITSTATUS(ws), 0,
		     "the stand-in daemon's pipes were wrong (step %d)",
		     WEXITSTATUS(ws));
}
