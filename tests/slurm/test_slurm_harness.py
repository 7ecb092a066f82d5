"""The private Slurm cluster itself (scripts/slurm-cluster.sh), without missionsim.

Proves what the sweep test relies on: a job array runs every task on the
node, `sbatch --wait` returns only when all tasks have ended and reports the
worst exit status, and a job with --dependency=afterok starts after the array.
"""

import textwrap


def write_script(path, body):
    path.write_text("#!/bin/bash\n" + textwrap.dedent(body).lstrip())
    path.chmod(0o755)
    return path


def test_array_tasks_all_run_and_sbatch_wait_waits(slurm_cluster):
    jobs = slurm_cluster.path / "jobs"
    jobs.mkdir()
    script = write_script(jobs / "array.sh", f"""
        #SBATCH --job-name=harness
        #SBATCH --array=0-2
        #SBATCH --output={jobs}/slurm-%A_%a.out
        sleep 1
        echo "$SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT" > {jobs}/task-$SLURM_ARRAY_TASK_ID.tmp
        mv {jobs}/task-$SLURM_ARRAY_TASK_ID.tmp {jobs}/task-$SLURM_ARRAY_TASK_ID
        """)
    job_id, status = slurm_cluster.sbatch_wait(script, cwd=jobs)
    assert status == 0
    # --wait returned, so every task has finished writing.
    for task in range(3):
        assert (jobs / f"task-{task}").read_text().split() == [str(job_id), str(task), "3"]

    # A follow-up job that depends on the array, as the sweep's collect job does.
    collect = write_script(jobs / "collect.sh", f"""
        #SBATCH --job-name=harness-collect
        #SBATCH --output={jobs}/slurm-%j.out
        ls {jobs} | grep -c '^task-[0-9]$' > {jobs}/collected
        """)
    _, status = slurm_cluster.sbatch_wait(f"--dependency=afterok:{job_id}", collect, cwd=jobs)
    assert status == 0
    assert (jobs / "collected").read_text().strip() == "3"


def test_sbatch_wait_reports_a_failed_task(slurm_cluster):
    jobs = slurm_cluster.path / "jobs"
    jobs.mkdir()
    script = write_script(jobs / "fail.sh", f"""
        #SBATCH --array=0-2
        #SBATCH --output={jobs}/slurm-%A_%a.out
        [ "$SLURM_ARRAY_TASK_ID" != 1 ] || exit 3
        """)
    _, status = slurm_cluster.sbatch_wait(script, cwd=jobs)
    assert status == 3
