from django.urls import include, path

app_name = "crm"

urlpatterns = [
    path("", include("crm.views.urls")),
]
