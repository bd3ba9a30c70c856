"""The job process: APScheduler runs thin jobs that call the domain (never started in web workers)."""
