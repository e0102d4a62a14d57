//! The register admin's user pages: every user with a role in the admin's registers, adding
//! a user with a role in one of them, disabling or enabling a user and resetting a lost
//! second factor. Platform-wide roles (auditor, researcher) are granted on the command line.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::AppError;
use kvalreg_app::access::Principal;
use kvalreg_store::{Grant, Role, User};

use super::catalogue::{t, t_with};
use super::pages::{failure_page, redirect};
use super::{Visitor, layout};
use crate::AppState;
use crate::access::Signed;
use crate::extract::ApiPath;
use crate::html::escape;

/// Roles a register admin may grant in their register.
const GRANTABLE: [Role; 5] = [
    Role::Registrar,
    Role::UnitLead,
    Role::RegisterAdmin,
    Role::Trainee,
    Role::Supervisor,
];

/// The registers this principal administers.
fn administered(state: &AppState, principal: &Principal) -> Vec<String> {
    state
        .platform
        .registers()
        .filter(|r| principal.has(Role::RegisterAdmin, Some(&r.id), None))
        .map(|r| r.id.clone())
        .collect()
}

/// Whether `user` holds a role in one of `registers` (so their admin may manage them).
fn manages(registers: &[String], user: &User) -> bool {
    user.grants
        .iter()
        .any(|g| g.register.as_ref().is_some_and(|r| registers.contains(r)))
}

async fn users_page(
    state: &AppState,
    visitor: &Visitor,
    principal: &Principal,
    notice: Option<(StatusCode, String)>,
) -> Response {
    let lang = visitor.lang;
    let registers = administered(state, principal);
    let users = match state.platform.users().await {
        Ok(users) => users,
        Err(err) => return failure_page(state, visitor, &err),
    };
    let mut rows = String::new();
    for user in users.iter().filter(|u| manages(&registers, u)) {
        let name = escape(&user.name);
        let action = |path: &str, key: &'static str| {
            format!(
                "<form method=\"post\" action=\"/admin/users/{name}/{path}\" class=\"inline\">{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
                visitor.csrf_input(),
                escape(t(lang, key))
            )
        };
        let toggle = if user.active {
            action("disable", "admin-disable")
        } else {
            action("enable", "admin-enable")
        };
        rows.push_str(&format!(
            "<tr id=\"user-{name}\"><td>{name}</td><td>{}</td><td>{}</td><td>{toggle} {}</td></tr>\n",
            escape(&user.grants.iter().map(Grant::to_string).collect::<Vec<_>>().join(", ")),
            escape(t(lang, if user.active { "admin-active" } else { "admin-disabled" })),
            action("reset-2fa", "admin-reset-2fa"),
        ));
    }
    let roles: String = GRANTABLE
        .iter()
        .map(|r| format!("<option value=\"{0}\">{0}</option>", r.name()))
        .collect();
    let register_options: String = registers
        .iter()
        .map(|r| format!("<option value=\"{0}\">{0}</option>", escape(r)))
        .collect();
    let (status, alert) = match notice {
        Some((status, message)) => (
            status,
            format!(
                "<p class=\"notice\" role=\"status\" id=\"admin-notice\">{}</p>\n",
                escape(&message)
            ),
        ),
        None => (StatusCode::OK, String::new()),
    };
    let main = format!(
        "<h1>{title}</h1>\n{alert}<table id=\"admin-users\"><thead><tr><th>{user}</th><th>{grants}</th><th>{state_h}</th><th></th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
         <h2>{add}</h2>\n<form method=\"post\" action=\"/admin/users\">{csrf}\n\
         <div class=\"field\"><label for=\"name\">{user}</label><input id=\"name\" name=\"name\" required></div>\n\
         <div class=\"field\"><label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"new-password\"></div>\n\
         <div class=\"field\"><label for=\"role\">{role}</label><select id=\"role\" name=\"role\">{roles}</select></div>\n\
         <div class=\"field\"><label for=\"register\">{register}</label><select id=\"register\" name=\"register\">{register_options}</select></div>\n\
         <div class=\"field\"><label for=\"hospital\">{hospital}</label><input id=\"hospital\" name=\"hospital\"></div>\n\
         <button type=\"submit\" id=\"admin-add\">{add}</button></form>\n<p>{note}</p>\n",
        title = escape(t(lang, "admin-title")),
        user = escape(t(lang, "signin-user")),
        grants = escape(t(lang, "admin-grants")),
        state_h = escape(t(lang, "admin-state")),
        add = escape(t(lang, "admin-add")),
        csrf = visitor.csrf_input(),
        password = escape(t(lang, "signin-password")),
        role = escape(t(lang, "admin-role")),
        register = escape(t(lang, "admin-register")),
        hospital = escape(t(lang, "audit-hospital")),
        note = escape(t(lang, "admin-platform-roles")),
    );
    (
        status,
        Html(layout(
            visitor,
            state.options.demo,
            None,
            "/admin/users",
            t(lang, "admin-title"),
            &main,
        )),
    )
        .into_response()
}

pub async fn page(State(state): State<AppState>, visitor: Visitor, Signed(principal): Signed) -> Response {
    users_page(&state, &visitor, &principal, None).await
}

#[derive(serde::Deserialize)]
pub struct NewUser {
    name: String,
    password: String,
    role: String,
    register: String,
    #[serde(default)]
    hospital: String,
}

pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    Form(form): Form<NewUser>,
) -> Response {
    let lang = visitor.lang;
    let refused = |message: String| (StatusCode::UNPROCESSABLE_ENTITY, message);
    let role = Role::parse(&form.role).filter(|r| GRANTABLE.contains(r));
    let notice = match role {
        None => refused(t_with(lang, "admin-role-refused", &[("role", &form.role)])),
        Some(_) if !administered(&state, &principal).contains(&form.register) => {
            refused(t_with(lang, "admin-register-refused", &[("register", &form.register)]))
        }
        Some(role) => {
            let hospital = Some(form.hospital.trim().to_owned()).filter(|h| !h.is_empty());
            let grant = Grant {
                role,
                register: Some(form.register.clone()),
                hospital,
            };
            match state
                .platform
                .add_user(form.name.trim(), &form.password, &[grant], &principal.name)
                .await
            {
                Ok(()) => (
                    StatusCode::OK,
                    t_with(lang, "admin-added", &[("user", form.name.trim())]),
                ),
                Err(AppError::Invalid(findings)) => refused(
                    findings
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message(lang)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Err(AppError::Store(err)) => refused(err.to_string()),
                Err(err) => return failure_page(&state, &visitor, &err),
            }
        }
    };
    users_page(&state, &visitor, &principal, Some(notice)).await
}

/// Runs `change` on a user the admin manages; another user answers 403.
async fn on_managed_user(
    state: &AppState,
    visitor: &Visitor,
    principal: &Principal,
    name: &str,
    change: impl std::future::Future<Output = Result<(), AppError>>,
) -> Response {
    let registers = administered(state, principal);
    let managed = match state.platform.users().await {
        Ok(users) => users.iter().any(|u| u.name == name && manages(&registers, u)),
        Err(err) => return failure_page(state, visitor, &err),
    };
    if !managed {
        let page = crate::ui::refusal_page(visitor.lang, t(visitor.lang, "admin-not-yours"));
        return (StatusCode::FORBIDDEN, Html(page)).into_response();
    }
    match change.await {
        Ok(()) => redirect("/admin/users"),
        Err(err) => failure_page(state, visitor, &err),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    ApiPath(name): ApiPath<String>,
) -> Response {
    let change = state.platform.set_user_active(&name, false, &principal.name);
    on_managed_user(&state, &visitor, &principal, &name, change).await
}

pub async fn enable(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    ApiPath(name): ApiPath<String>,
) -> Response {
    let change = state.platform.set_user_active(&name, true, &principal.name);
    on_managed_user(&state, &visitor, &principal, &name, change).await
}

pub async fn reset_second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    ApiPath(name): ApiPath<String>,
) -> Response {
    let change = state.platform.reset_second_factor(&name, &principal.name);
    on_managed_user(&state, &visitor, &principal, &name, change).await
}
