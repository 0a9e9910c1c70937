app_name = "brandkit"
urlpatterns: list = []
