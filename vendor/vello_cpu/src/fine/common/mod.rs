// Copyright 2025 the Vello Authors
// SPDX-License-Identifier: Apache-2.0 OR MIT

pub(crate) mod gradient;
pub(crate) mod image;
pub(crate) mod rounded_blurred_rect;
