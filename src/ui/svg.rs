//! The cost chart: messages per day as an SVG bar chart, drawn on the
//! server (no script, no chart library). Each bar carries `data-date` and
//! `data-count` so a test (or a person's browser tools) can read it back.

use maud::{html, Markup};

use super::data::DayCount;

const WIDTH: u32 = 620;
const HEIGHT: u32 = 180;
const AXIS: u32 = 20;

/// The chart of `days`, headed `label` (also its accessible name).
pub(super) fn bar_chart(days: &[DayCount], label: &str) -> Markup {
    let top = days.iter().map(|d| d.counted).max().unwrap_or(0).max(1);
    let n = u32::try_from(days.len()).unwrap_or(31).max(1);
    let slot = WIDTH / n.max(7);
    let plot = i64::from(HEIGHT - AXIS);
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(label)
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } {
            title { (label) }
            line x1="0" y1=(HEIGHT - AXIS) x2=(WIDTH) y2=(HEIGHT - AXIS) class="axis" {}
            @for (i, d) in days.iter().enumerate() {
                @let x = u32::try_from(i).unwrap_or(0) * slot;
                @let h = d.counted * plot / top;
                @let y = plot - h;
                g.day data-date=(d.date) data-count=(d.counted) {
                    rect.bar x=(x + 2) y=(y) width=(slot.saturating_sub(4).max(1)) height=(h) {
                        title { (d.date) ": " (d.counted) }
                    }
                    @if d.counted > 0 {
                        text.count x=(x + slot / 2) y=((y - 3).max(10)) text-anchor="middle" { (d.counted) }
                    }
                    text.date x=(x + slot / 2) y=(HEIGHT - 5) text-anchor="middle" {
                        (d.date.rsplit('-').next().unwrap_or(""))
                    }
                }
            }
        }
    }
}

/// The QR code of `text` as SVG: one square per dark module, a quiet zone
/// of four modules around; empty if the text does not fit in a QR code.
pub(super) fn qr(text: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return html! {};
    };
    let width = code.width();
    let side = width + 8;
    let colors = code.to_colors();
    html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(text) data-modules=(width)
            viewBox={ "0 0 " (side) " " (side) } shape-rendering="crispEdges" {
            rect width=(side) height=(side) fill="#fff" {}
            @for (i, c) in colors.iter().enumerate() {
                @if *c == qrcode::Color::Dark {
                    rect.m x=(i % width + 4) y=(i / width + 4) width="1" height="1" {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_grow_with_their_counts_and_carry_them() {
        let days = [
            DayCount {
                date: "2026-12-01".into(),
                counted: 2,
            },
            DayCount {
                date: "2026-12-02".into(),
                counted: 4,
            },
        ];
        let svg = bar_chart(&days, "Messages per day").into_string();
        assert!(
            svg.contains(r#"data-date="2026-12-02" data-count="4""#),
            "{svg}"
        );
        // The tallest bar fills the plot; half the count, half the height.
        assert!(
            svg.contains(r#"height="160""#) && svg.contains(r#"height="80""#),
            "{svg}"
        );
    }
}
