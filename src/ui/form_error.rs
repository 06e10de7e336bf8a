//! Where a form's error shows: beside the field it names, else above the form's button, so
//! each error shows once and none is lost (a form the server could not read names no field of
//! its own).

use leptos::prelude::*;

use crate::error::AppError;

/// A form's error, from its action or from the page's query string after a post without
/// JavaScript, and the fields that show their own.
#[derive(Clone, Copy)]
pub struct FormError<E> {
    error: E,
    fields: &'static [&'static str],
}

impl<E> FormError<E>
where
    E: Fn() -> Option<AppError> + Copy + Send + Sync + 'static,
{
    pub fn new(error: E, fields: &'static [&'static str]) -> Self {
        FormError { error, fields }
    }

    /// The message that belongs beside `field`, one of the form's fields.
    pub fn beside(self, field: &'static str) -> impl IntoView {
        debug_assert!(self.fields.contains(&field), "{field} is not one of the form's fields");
        move || {
            (self.error)()
                .and_then(|err| err.field_message(field))
                .map(|m| view! { <p class="field-error" role="alert">{m}</p> })
        }
    }

    /// Whether `field` has an error, for its input's `aria-invalid`.
    pub fn invalid(self, field: &'static str) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static {
        move || (self.error)().and_then(|err| err.field_message(field)).map(|_| "true")
    }

    /// Any other error, for above the form's button: one that names none of the form's fields,
    /// or what of it names other fields.
    pub fn general(self) -> impl IntoView {
        move || {
            let err = (self.error)()?;
            let words = match &err {
                AppError::Fields(fields) => {
                    let others: Vec<&str> = fields
                        .iter()
                        .filter(|(f, _)| !self.fields.contains(&f.as_str()))
                        .map(|(_, m)| m.as_str())
                        .collect();
                    (!others.is_empty()).then(|| others.join(" "))?
                }
                err if self.fields.iter().any(|field| err.field_message(field).is_some()) => return None,
                err => err.to_string(),
            };
            Some(view! { <p class="error" role="alert">{words}</p> })
        }
    }
}
