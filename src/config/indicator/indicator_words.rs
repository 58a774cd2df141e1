//! What `[indicator]`'s problems say, in the config's `language`
//! (Japanese unless it says `en`), and why a configured line is not on this
//! board. Keys, line names and paths stay as written.

use crate::text::said::said;

said! {
    LINE_NO_CHIP {
        ja: "この機械には GPIO チップがありません（または /dev/gpiochip* を読む権限がありません）",
        en: "no GPIO chip on this machine (or no permission to read /dev/gpiochip*)",
    }
    LINE_NO_NAME {
        ja: "{chips} に {name} という名前のラインはありません（`gpioinfo` で一覧できます）",
        en: "no line named {name} on {chips} (see `gpioinfo`)",
    }
    LINE_CHIP { ja: "{path} を開けません：{e}", en: "{path}: {e}" }
    LINE_TOO_FEW {
        ja: "{path} にはラインが {n} 本しかありません",
        en: "{path} has only {n} lines",
    }
    LINE_NEEDS_LINUX {
        ja: "GPIO のラインは Linux でしか使えません",
        en: "GPIO lines need Linux",
    }
    LED_OR_BUZZER {
        ja: "この方式では led と buzzer の少なくとも一つを書いてください",
        en: "set at least one of led and buzzer for this backend",
    }
    NO_RPPAL {
        ja: "このビルドには rppal の機能（cargo の \"rppal\" フィーチャー）がありません。\"gpio\" を使ってください",
        en: "this build has no rppal support (cargo feature \"rppal\"); use \"gpio\"",
    }
    GPIO_LINUX {
        ja: "gpio の方式は Linux でしか使えません",
        en: "the gpio backend needs Linux",
    }
    DEBOUNCE_SHORTER {
        ja: "long_press より短くしてください",
        en: "must be shorter than long_press",
    }
    LINE_NAME {
        ja: "\"GPIO17\" のようなライン名か、{ chip = \"gpiochip0\", offset = 17 } と書いてください",
        en: "write a line name like \"GPIO17\", or { chip = \"gpiochip0\", offset = 17 }",
    }
    RPPAL_LINE {
        ja: "{line}：rppal には BCM のライン GPIO0…GPIO27 が要ります（GPIOn 以外の名前には gpio の方式を使ってください）",
        en: "{line}: rppal needs a BCM line GPIO0…GPIO27 (names other than GPIOn need the gpio backend)",
    }
    STEP_LENGTH {
        ja: "{value}：一つ一つの長さは 1ms から {max} までにしてください",
        en: "{value}: each step must be between 1ms and {max}",
    }
    PATTERN_ODD {
        ja: "鳴る、止まる、鳴る…の長さを奇数個、鳴るで終わるように並べてください",
        en: "list on, off, on … durations: an odd number, ending with on",
    }
    PATTERN_LENGTH {
        ja: "パターン全体は {max} 以内にしてください",
        en: "the whole pattern must last at most {max}",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
