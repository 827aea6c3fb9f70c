#!/usr/bin/env python3
"""Generates a CSV of realistic Chinese leads for the import benchmark.

    bench/py/gen_leads.py ROWS OUT.csv [--dup 0.05] [--invalid 0.01] [--seed 42]

About `dup` of the rows repeat an earlier row's person (same mobile, written differently), and
`invalid` have a phone number that cannot be valid. Headers are the usual Chinese ones, so the
import maps them without a mapping.
"""
import argparse
import csv
import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红丹辉鹏飞宇浩然欣怡梓涵子轩思雨晨阳佳琪雪梅建国志强海燕文博"
CITIES = [("北京", "北京"), ("上海", "上海"), ("广东", "广州"), ("广东", "深圳"), ("浙江", "杭州"), ("江苏", "南京"),
          ("江苏", "苏州"), ("四川", "成都"), ("湖北", "武汉"), ("陕西", "西安"), ("山东", "青岛"), ("福建", "厦门"),
          ("天津", "天津"), ("重庆", "重庆"), ("湖南", "长沙"), ("河南", "郑州")]
WORDS = "星辰 云图 华信 智联 远航 东方 新创 天成 博源 鼎盛 锐思 恒通 海纳 中科 金桥 蓝海 卓越 宏图 汇丰 瑞达".split()
KINDS = ["科技", "信息技术", "贸易", "制造", "咨询", "网络", "电子", "物流", "医疗器械", "教育科技"]
INDUSTRIES = ["IT", "制造", "零售", "教育", "医疗", "金融", "物流", "房地产", "餐饮", "咨询"]
SIZES = ["1-20人", "20-99人", "100-499人", "500-999人", "1000人以上"]
NEEDS = ["需要CRM系统", "咨询报价", "希望安排演示", "对私有化部署感兴趣", "比较多家供应商", "预算已批", ""]
SOURCES = ["官网表单", "百度推广", "展会名片", "老客户推荐", "抖音广告", "公众号"]
PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
            "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--dup", type=float, default=0.05)
    ap.add_argument("--invalid", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    used = set()
    people = []
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "公司名称", "手机", "邮箱", "省份", "城市", "行业", "规模", "需求", "等级", "来源"])
        for i in range(args.rows):
            r = rnd.random()
            if people and r < args.dup:
                # The same person again, the number written another way.
                name, company, mobile, email, province, city = rnd.choice(people)
                phone = rnd.choice([f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", f"0086{mobile}"])
                w.writerow([name, company, phone, "", province, city, rnd.choice(INDUSTRIES), "", "再次咨询", "", rnd.choice(SOURCES)])
                continue
            while True:
                mobile = rnd.choice(PREFIXES) + f"{rnd.randrange(10**8):08d}"
                if mobile not in used:
                    used.add(mobile)
                    break
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice([1, 2])))
            province, city = rnd.choice(CITIES)
            company = f"{city}{rnd.choice(WORDS)}{rnd.choice(KINDS)}有限公司"
            email = f"u{i}_{rnd.randrange(10**6)}@example.com" if rnd.random() < 0.6 else ""
            phone = mobile if r >= args.dup + args.invalid else "12345"
            w.writerow([name, company, phone, email, province, city, rnd.choice(INDUSTRIES), rnd.choice(SIZES),
                        rnd.choice(NEEDS), rnd.choice("ABCD"), rnd.choice(SOURCES)])
            if len(people) < 100000:
                people.append((name, company, mobile, email, province, city))


if __name__ == "__main__":
    main()
