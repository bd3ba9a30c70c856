"""The outbox and the job process, for admins: messages with attempts and errors, retries, job status."""

from __future__ import annotations

from flask.views import MethodView

from schemas.notifications import JobsStatusSchema, NotificationQueryArgsSchema, NotificationSchema
from service.api.common import Blueprint, SelectPage, current_principal
from service.clock import now_utc
from service.domain import job_runs, outbox
from service.enums import Role
from service.extensions import db

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications outbox and jobs")


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.doc(operationId="listNotifications")
    @blp.staff(Role.ADMIN)
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List the clinic's outgoing messages, newest first (filter by status, channel, kind, patient)."""
        return outbox.notifications_query(clinic_id=current_principal().clinic_id, **args)


@blp.route("/notifications/<uuid:notification_id>/retry")
class RetryNotification(MethodView):
    @blp.doc(operationId="retryNotification")
    @blp.staff(Role.ADMIN)
    @blp.response(200, NotificationSchema)
    @blp.errors(404, 409)
    def post(self, notification_id):
        """Put a dead letter back in the queue with fresh attempts."""
        found = outbox.get_notification(
            db.session, clinic_id=current_principal().clinic_id, notification_id=notification_id
        )
        found = outbox.retry(db.session, notification=found, now=now_utc())
        db.session.commit()
        return found


@blp.route("/jobs/status")
class JobsStatus(MethodView):
    @blp.doc(operationId="getJobsStatus")
    @blp.staff(Role.ADMIN)
    @blp.response(200, JobsStatusSchema)
    def get(self):
        """Show each job's last run and lag, and what is overdue: a stalled job process is visible here."""
        return job_runs.status(db.session, clinic_id=current_principal().clinic_id, now=now_utc())
