//! Small SVG charts for the benchmark reports: grouped bars ([`grouped_bars`]) and lines over
//! (x, y) points ([`line_chart`]), each on linear or logarithmic axes.
//!
//! Drawn with `plotters`' SVG backend and no font library: text becomes SVG `<text>` elements
//! that the viewer renders with its own sans-serif font, so nothing depends on the fonts of the
//! machine that draws the chart (label widths are estimated, so very long labels may crowd).

use std::error::Error;
use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width and height of every chart, in SVG pixels.
const SIZE: (u32, u32) = (1100, 620);

/// Colours of the series, in order (Tableau 10: distinct, and readable by most colour-blind
/// readers); series past the tenth reuse them.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// A number as a short axis label: `0.5`, `20`, `1e-6`, `3e4`.
pub fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.0e}");
        return s.replace("e0", "").replace("e-0", "e-");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The range an axis needs to show `values`: padded by 5% of the span on a linear axis, and
/// widened to whole decades on a logarithmic one (which needs positive values: others are
/// ignored there). `include_zero` makes a linear axis start at 0 (for bars).
fn axis_range(values: impl Iterator<Item = f64>, log: bool, include_zero: bool) -> Range<f64> {
    let values: Vec<f64> = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        return if log { 1.0..10.0 } else { 0.0..1.0 };
    }
    if log {
        let lo = 10f64.powf(lo.log10().floor());
        let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
        lo..hi
    } else {
        let (lo, hi) = if include_zero {
            (lo.min(0.0), hi.max(0.0))
        } else {
            (lo, hi)
        };
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
        (if include_zero && lo == 0.0 {
            0.0
        } else {
            lo - pad
        })..(hi + pad)
    }
}

/// Grouped bars: one group per entry of `groups` along the x axis, one bar per series in each
/// group. `series` pairs a legend label with one value per group; `None` (a value that does not
/// exist, such as a case a library cannot express) leaves the bar out and writes "n/a" in its
/// place. `log_y` puts the y axis on a logarithmic scale (then bars start at the bottom of the
/// axis, and values must be positive).
pub fn grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[&str],
    series: &[(&str, Vec<Option<f64>>)],
    log_y: bool,
) -> Result<(), Box<dyn Error>> {
    let values = series.iter().flat_map(|(_, v)| v.iter().flatten().copied());
    let y = axis_range(values, log_y, true);
    let base = y.start;
    if log_y {
        bars_on(path, title, y_label, groups, series, y.log_scale(), base)
    } else {
        bars_on(path, title, y_label, groups, series, y, base)
    }
}

fn bars_on<Y>(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[&str],
    series: &[(&str, Vec<Option<f64>>)],
    y: Y,
    base: f64,
) -> Result<(), Box<dyn Error>>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = groups.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n as f64, y)?;
    // The group names go under the axis at each group's centre, written on the root area.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| short_number(*v))
        .y_desc(y_label)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;

    // Each group is 80% bars, split evenly between the series.
    let width = 0.8 / series.len().max(1) as f64;
    for (s, (label, values)) in series.iter().enumerate() {
        let colour = colour(s);
        let left = |g: usize| g as f64 + 0.1 + s as f64 * width;
        let bars = values.iter().enumerate().filter_map(|(g, v)| {
            v.map(|v| Rectangle::new([(left(g), base), (left(g) + width, v)], colour.filled()))
        });
        chart
            .draw_series(bars)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
        let missing = values.iter().enumerate().filter(|(_, v)| v.is_none());
        chart.draw_series(missing.map(|(g, _)| {
            let style = ("sans-serif", 10)
                .into_font()
                .transform(FontTransform::Rotate270)
                .color(&colour);
            Text::new("n/a", (left(g) + width * 0.2, base), style)
        }))?;
    }
    let name_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (g, name) in groups.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(g as f64 + 0.5, base));
        root.draw(&Text::new(
            name.to_string(),
            (px, py + 8),
            name_style.clone(),
        ))?;
    }
    legend_and_write(&mut chart, &root)
}

/// Lines through (x, y) points, one per series, each point marked, with a legend. `series`
/// pairs a legend label with its points (drawn in the order given); `log_x` and `log_y` put
/// the axes on logarithmic scales (points with a non-positive coordinate there are left out).
///
/// For example the cost of a Jacobian against the input dimension, one line per mode:
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let forward = vec![(10.0, 1e-6), (100.0, 2e-5), (1000.0, 1e-3)];
/// let reverse = vec![(10.0, 3e-6), (100.0, 8e-6), (1000.0, 6e-5)];
/// ad_tests::plot::line_chart(
///     std::path::Path::new("docs/jacobian.svg"),
///     "Jacobian cost",
///     "inputs n",
///     "time (s)",
///     &[("forward", forward), ("reverse", reverse)],
///     true,
///     true,
/// )?;
/// # Ok(()) }
/// ```
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    log_x: bool,
    log_y: bool,
) -> Result<(), Box<dyn Error>> {
    let keep = |(x, y): &(f64, f64)| {
        x.is_finite() && y.is_finite() && (!log_x || *x > 0.0) && (!log_y || *y > 0.0)
    };
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(label, points)| (*label, points.iter().copied().filter(keep).collect()))
        .collect();
    let points = || series.iter().flat_map(|(_, p)| p.iter().copied());
    let x = axis_range(points().map(|p| p.0), log_x, false);
    let y = axis_range(points().map(|p| p.1), log_y, false);
    let labels = (title, x_label, y_label);
    match (log_x, log_y) {
        (true, true) => lines_on(path, labels, &series, x.log_scale(), y.log_scale()),
        (true, false) => lines_on(path, labels, &series, x.log_scale(), linear(y)),
        (false, true) => lines_on(path, labels, &series, linear(x), y.log_scale()),
        (false, false) => lines_on(path, labels, &series, linear(x), linear(y)),
    }
}

fn linear(r: Range<f64>) -> RangedCoordf64 {
    r.into()
}

fn lines_on<X, Y>(
    path: &Path,
    (title, x_label, y_label): (&str, &str, &str),
    series: &[(&str, Vec<(f64, f64)>)],
    x: X,
    y: Y,
) -> Result<(), Box<dyn Error>>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| short_number(*v))
        .y_label_formatter(&|v| short_number(*v))
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    for (s, (label, points)) in series.iter().enumerate() {
        let colour = colour(s);
        let line = ShapeStyle::from(&colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), line))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], line));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
    }
    legend_and_write(&mut chart, &root)
}

/// Draws the legend (upper left) and writes the file.
fn legend_and_write<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
) -> Result<(), Box<dyn Error>> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(20.0), "20");
        assert_eq!(short_number(1e-6), "1e-6");
        assert_eq!(short_number(30000.0), "30000");
        assert_eq!(short_number(2e5), "2e5");
    }

    #[test]
    fn log_ranges_cover_whole_decades() {
        let r = axis_range([0.3, 42.0].into_iter(), true, false);
        assert_eq!(r, 0.1..100.0);
        let r = axis_range([2.0, 3.0, -1.0].into_iter(), true, false);
        assert_eq!(r, 1.0..10.0);
    }

    #[test]
    fn charts_write_svg_with_text() {
        let dir = std::env::temp_dir().join(format!("ad-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bars = dir.join("bars.svg");
        let series = [
            ("ours", vec![Some(1.0), Some(2.0)]),
            ("peer", vec![Some(30.0), None]),
        ];
        grouped_bars(&bars, "Bars", "time", &["a", "b"], &series, true).unwrap();
        let svg = std::fs::read_to_string(&bars).unwrap();
        assert!(svg.contains("<text") && svg.contains("peer") && svg.contains("n/a"));
        let lines = dir.join("lines.svg");
        let series = [("forward", vec![(10.0, 1e-6), (100.0, 1e-4)])];
        for (lx, ly) in [(true, true), (true, false), (false, true), (false, false)] {
            line_chart(&lines, "Lines", "n", "s", &series, lx, ly).unwrap();
            let svg = std::fs::read_to_string(&lines).unwrap();
            assert!(svg.contains("forward") && svg.contains("<polyline"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
