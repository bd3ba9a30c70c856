"""The job process (APScheduler is its clock). Jobs run here, never inside web workers."""
