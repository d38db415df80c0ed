"""First smoke: the app starts, pages render for a signed-in employee."""


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_employee_sees_home_catalog_item(as_role, base):
    client = as_role("employee")
    for path in ("/", "/catalog", f"/items/{base.job_aid.slug}", "/collections", "/kpis", f"/kpis/{base.kpi.slug}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:2000])
