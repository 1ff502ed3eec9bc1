from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Enterprise liaison")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: crm.roles imports the models, which cannot load before the app registry is ready.
        from crm.roles import role_groups_sync
        from crm.services.accounts import tokens_rotate_on_password_change

        post_migrate.connect(role_groups_sync, sender=self, dispatch_uid="crm_role_groups_sync")
        post_save.connect(
            tokens_rotate_on_password_change, sender=self.get_model("User"), dispatch_uid="crm_token_rotation"
        )
