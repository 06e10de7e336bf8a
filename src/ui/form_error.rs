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

    /// Any other error, for above the form's button.
    pub fn general(self) -> impl IntoView {
        move || {
            (self.error)()
                .filter(|err| !self.fields.iter().any(|field| err.field_message(field).is_some()))
                .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
        }
    }
}
