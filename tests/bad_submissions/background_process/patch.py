import os
import subprocess
import sys

# A daemon that outlives this process: double fork, its own session.
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "dl3-catalogue-background"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os._exit(0)
subprocess.Popen(["sleep", "600"], start_new_session=True)
