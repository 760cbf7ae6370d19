"""One whole process under /usr/bin/time -v, as the peer benchmarks report it."""
import re
import subprocess


def time_v(argv, env=None):
    """{"seconds": wall, "cpu": user + system seconds, "rss_mib": peak resident MiB, "minflt": minor page
    faults} of one run of `argv`; RuntimeError naming the command when it fails."""
    r = subprocess.run(["/usr/bin/time", "-v"] + argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr[-2000:]))

    def field(name):
        return re.search(re.escape(name) + r": (\S+)", r.stderr).group(1)

    seconds = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        seconds = seconds * 60 + float(part)
    return {
        "seconds": seconds,
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "minflt": int(field("Minor (reclaiming a frame) page faults")),
    }
