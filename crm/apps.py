from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Enterprise liaison")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: crm.roles imports the models, which cannot load before the app registry is ready.
        from crm import reference
        from crm.roles import role_groups_sync
        from crm.services.accounts import tokens_rotate_on_password_change
        from crm.services.needs import holiday_before_save, holiday_deleted, holiday_saved

        post_migrate.connect(role_groups_sync, sender=self, dispatch_uid="crm_role_groups_sync")
        post_save.connect(
            tokens_rotate_on_password_change, sender=self.get_model("User"), dispatch_uid="crm_token_rotation"
        )
        # The needs' stored working days to answer follow every change of the holiday calendar, whoever writes it.
        holiday = self.get_model("Holiday")
        pre_save.connect(holiday_before_save, sender=holiday, dispatch_uid="crm_holiday_before_save")
        post_save.connect(holiday_saved, sender=holiday, dispatch_uid="crm_holiday_saved")
        post_delete.connect(holiday_deleted, sender=holiday, dispatch_uid="crm_holiday_deleted")
        # Every process sees a change of the reference data on its next request (crm/reference.py).
        for name in reference.MODEL_KINDS:
            model = self.get_model(name)
            post_save.connect(reference.changed, sender=model, dispatch_uid=f"crm_reference_saved_{name}")
            post_delete.connect(reference.changed, sender=model, dispatch_uid=f"crm_reference_deleted_{name}")
        roles = self.get_model("User").groups.through
        m2m_changed.connect(reference.changed, sender=roles, dispatch_uid="crm_reference_roles")
        post_migrate.connect(reference.migrated, sender=self, dispatch_uid="crm_reference_migrated")
